"""Our contract as a generic gRPC tool we did not write sees it: buf lint and buf curl."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.contract.tools import REPO, buf


async def run_tool(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def buf_curl(address: str, *args: str, method: str = "") -> tuple[int, str, str]:
    """`buf curl` over plain-text HTTP/2 against our server, schema from reflection."""
    url = f"http://{address}/{method}" if method else f"http://{address}"
    return await run_tool(
        buf(), "curl", "--protocol", "grpc", "--http2-prior-knowledge", *args, url
    )


async def test_buf_lint_standard_is_clean():
    code, out, err = await run_tool(buf(), "lint", str(REPO / "proto"))
    assert code == 0, out + err


@pytest.mark.servers
async def test_buf_curl_lists_our_services_through_reflection(running_factory):
    code, out, err = await buf_curl(running_factory.address, "--list-services")
    assert code == 0, err
    services = set(out.split())
    assert {"pnp.v1.ModuleRegistry", "pnp.v1.Orchestrator", "grpc.health.v1.Health"} <= services


@pytest.mark.servers
async def test_buf_curl_calls_list_modules(running_factory):
    await running_factory.plug_in("laser-cutter", "A1")
    code, out, err = await buf_curl(
        running_factory.address, "--data", "{}", method="pnp.v1.Orchestrator/ListModules"
    )
    assert code == 0, err
    modules = json.loads(out)["modules"]
    assert [m["descriptor"]["moduleId"] for m in modules] == ["laser-cutter-a1"]
    assert modules[0]["liveness"] == "MODULE_LIVENESS_ALIVE"


@pytest.mark.servers
async def test_buf_curl_sees_a_bad_request_as_invalid_argument(running_factory):
    request = {"recipeYaml": "kind: Nonsense", "source": "x.yaml", "requestId": "r1"}
    code, out, err = await buf_curl(
        running_factory.address,
        "--data",
        json.dumps(request),
        method="pnp.v1.Orchestrator/SubmitOrder",
    )
    assert code != 0
    assert "invalid_argument" in (out + err).lower()
