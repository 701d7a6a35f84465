"""Under mutual TLS a caller is the identity in its certificate, and only that.

Every refusal leaves the server serving and the store untouched.
"""

from __future__ import annotations

import grpc
import pytest

from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, registry_pb2, registry_pb2_grpc
from tests.security.calls import register, session_refusal, status_of
from tests.security.conftest import MODULE_A, MODULE_B, PLANNER

pytestmark = pytest.mark.servers


async def test_a_module_registers_as_the_module_in_its_certificate(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        response = await register(channel, "laser-a")
    assert (response.module_id, response.epoch) == ("laser-a", 1)
    assert secure_factory.module_rows() == [("laser-a", 1, "boot-1")]


async def test_a_module_cannot_register_under_another_modules_id(secure_factory):
    before = secure_factory.row_counts()
    async with secure_factory.channel(MODULE_A) as channel:
        code = await status_of(register(channel, "laser-b"))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert secure_factory.row_counts() == before
    assert await secure_factory.is_serving()


async def test_a_module_cannot_heartbeat_for_another_module(secure_factory):
    async with secure_factory.channel(MODULE_B) as channel:
        epoch = (await register(channel, "laser-b")).epoch
    before = secure_factory.row_counts()
    async with secure_factory.channel(MODULE_A) as channel:
        code = await session_refusal(channel, "laser-b", epoch)
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert secure_factory.factory.registry.get("laser-b").session_open is False
    assert secure_factory.row_counts() == before
    assert await secure_factory.is_serving()


async def test_a_module_cannot_deregister_another_module(secure_factory):
    async with secure_factory.channel(MODULE_B) as channel:
        epoch = (await register(channel, "laser-b")).epoch
    async with secure_factory.channel(MODULE_A) as channel:
        stub = registry_pb2_grpc.ModuleRegistryStub(channel)
        code = await status_of(
            stub.DeregisterModule(
                registry_pb2.DeregisterModuleRequest(module_id="laser-b", epoch=epoch), timeout=5
            )
        )
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert secure_factory.factory.registry.get("laser-b").liveness.value == "alive"
    assert await secure_factory.is_serving()


async def test_a_module_certificate_cannot_call_the_planner_api(secure_factory):
    before = secure_factory.row_counts()
    async with secure_factory.channel(MODULE_A) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        listing = await status_of(
            stub.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5)
        )
        submission = await status_of(
            stub.SubmitOrder(
                orchestrator_pb2.SubmitOrderRequest(
                    recipe_yaml="kind: Order", source="x.yaml", request_id="r1"
                ),
                timeout=5,
            )
        )
    assert listing is submission is grpc.StatusCode.PERMISSION_DENIED
    assert secure_factory.row_counts() == before
    assert await secure_factory.is_serving()


async def test_a_planner_certificate_cannot_register_a_module(secure_factory):
    async with secure_factory.channel(PLANNER) as channel:
        code = await status_of(register(channel, "anna"))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert secure_factory.row_counts()["modules"] == 0


async def test_a_planner_certificate_may_call_the_planner_api(secure_factory):
    async with secure_factory.channel(PLANNER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        response = await stub.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5)
    assert list(response.modules) == []
