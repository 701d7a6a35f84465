"""A generic gRPC tool we did not write (buf curl) against the orchestrator under mTLS:
refused without a client certificate, served with a planner's."""

from __future__ import annotations

import json

import pytest

from tests.contract.test_buf import run_tool
from tests.contract.tools import buf
from tests.security.calls import register
from tests.security.conftest import MODULE_A, PLANNER

pytestmark = pytest.mark.servers


async def buf_curl_tls(secure_factory, *tls: str, method: str) -> tuple[int, str, str]:
    ca = str(secure_factory.pki.root / "ca.pem")
    return await run_tool(
        buf(),
        "curl",
        "--protocol",
        "grpc",
        "--cacert",
        ca,
        *tls,
        "--data",
        "{}",
        f"https://{secure_factory.address}/{method}",
    )


def planner_certificate(secure_factory) -> tuple[str, ...]:
    files = secure_factory.pki.files(PLANNER)
    return ("--cert", str(files.certificate), "--key", str(files.key))


async def test_buf_curl_without_a_client_certificate_is_refused(secure_factory):
    code, out, err = await buf_curl_tls(secure_factory, method="pnp.v1.Orchestrator/ListModules")
    # The handshake fails before anything else: even reflection, so buf cannot find
    # the schema of the call, let alone make it.
    assert code != 0
    assert "failed to find service" in err.lower() or "unavailable" in err.lower(), err
    assert "modules" not in out
    assert await secure_factory.is_serving()


async def test_buf_curl_with_a_planner_certificate_lists_modules(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        await register(channel, "laser-a")
    code, out, err = await buf_curl_tls(
        secure_factory,
        *planner_certificate(secure_factory),
        method="pnp.v1.Orchestrator/ListModules",
    )
    assert code == 0, err
    assert [m["descriptor"]["moduleId"] for m in json.loads(out)["modules"]] == ["laser-a"]


async def test_buf_curl_with_a_module_certificate_is_denied_the_planner_api(secure_factory):
    files = secure_factory.pki.files(MODULE_A)
    code, out, err = await buf_curl_tls(
        secure_factory,
        "--cert",
        str(files.certificate),
        "--key",
        str(files.key),
        method="pnp.v1.Orchestrator/ListModules",
    )
    assert code != 0
    assert "permission_denied" in (out + err).lower()
