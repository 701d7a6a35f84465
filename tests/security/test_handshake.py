"""Without a certificate from the factory CA, in date, nobody gets past the TLS handshake.

(The client sees UNAVAILABLE: the server closes the connection during the handshake,
before any call exists that could carry a status.)
"""

from __future__ import annotations

import grpc
import pytest

from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from tests.security.calls import register, status_of
from tests.security.conftest import EXPIRED, credentials

pytestmark = pytest.mark.servers


async def list_modules(channel) -> grpc.StatusCode:
    stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
    return await status_of(stub.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5))


async def test_a_client_without_a_certificate_is_refused(secure_factory):
    ca = secure_factory.pki.root / "ca.pem"
    async with grpc.aio.secure_channel(secure_factory.address, credentials(None, ca)) as channel:
        assert await list_modules(channel) is grpc.StatusCode.UNAVAILABLE
        assert await status_of(register(channel, "laser-a")) is grpc.StatusCode.UNAVAILABLE
    assert secure_factory.row_counts()["modules"] == 0
    assert await secure_factory.is_serving()


async def test_a_plain_text_client_is_refused(secure_factory):
    async with grpc.aio.insecure_channel(secure_factory.address) as channel:
        assert await status_of(register(channel, "laser-a")) is grpc.StatusCode.UNAVAILABLE
    assert secure_factory.row_counts()["modules"] == 0
    assert await secure_factory.is_serving()


async def test_a_certificate_from_another_ca_is_refused(secure_factory):
    stranger = credentials(secure_factory.pki.stranger())
    async with grpc.aio.secure_channel(secure_factory.address, stranger) as channel:
        assert await status_of(register(channel, "laser-a")) is grpc.StatusCode.UNAVAILABLE
    assert secure_factory.row_counts()["modules"] == 0
    assert await secure_factory.is_serving()


async def test_an_expired_certificate_is_refused(secure_factory):
    expired = credentials(secure_factory.pki.files(EXPIRED))
    async with grpc.aio.secure_channel(secure_factory.address, expired) as channel:
        code = await status_of(register(channel, "laser-expired"))
    assert code is grpc.StatusCode.UNAVAILABLE
    assert secure_factory.row_counts()["modules"] == 0
    assert await secure_factory.is_serving()
