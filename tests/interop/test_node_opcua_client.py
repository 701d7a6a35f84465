"""Interop: node-opcua-client (npm, a client we did not write) drives a simulated module."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules" / "node-opcua-client"


@pytest.fixture
def node() -> str:
    found = shutil.which("node")
    if found is None or not NODE_MODULES.exists():
        pytest.fail(
            "node and node-opcua-client are needed: `make test` installs them (tests/interop)"
        )
    return found


async def test_node_opcua_client_starts_a_skill_and_sees_it_complete_once(node):
    module = SimulatedModule(
        SimulatedModuleConfig(kind="laser-cutter", dock="A1", orchestrator=None, time_scale=300)
    )
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 10)
        parameters = json.dumps({"material": "steel-s235", "thickness_mm": 3})
        process = await asyncio.create_subprocess_exec(
            node,
            str(HERE / "drive_skill.js"),
            module.endpoint,
            "cutting.laser",
            "exec-42",
            parameters,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        [line] = [x for x in out.decode().splitlines() if x.startswith("RESULT ")]
        report = json.loads(line.removeprefix("RESULT "))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert report["first"] == {"status": "Good", "accepted": True}
    trail = report["seenFirst"]
    assert trail.index("Execute") < trail.index("Complete"), trail
    # The same execution id again: acknowledged, but the work does not run again.
    assert report["second"] == {"status": "Good", "accepted": True}
    assert report["seenSecond"] == []
    assert module.skills["cutting.laser"].executions_started == 1
    assert module.telemetry["ExecutionsCompleted"] == 1


async def test_node_opcua_client_without_a_trusted_certificate_is_refused_by_a_secured_module(
    node, tmp_path
):
    from pnp.orchestrator.security import pki
    from pnp.orchestrator.security.identities import Identity, Role
    from pnp.sdk.security import ModuleSecurity

    pki.init_ca(tmp_path / "pki")
    files = pki.issue(tmp_path / "pki", Identity(Role.MODULE, "laser-cutter-a1"))
    security = ModuleSecurity(tmp_path / "pki" / "ca.pem", files.certificate, files.key)
    module = SimulatedModule(
        SimulatedModuleConfig(kind="laser-cutter", dock="A1", orchestrator=None, security=security)
    )
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 10)
        process = await asyncio.create_subprocess_exec(
            node,
            str(HERE / "connect_secure.js"),
            module.endpoint,
            str(tmp_path / "node-pki"),
            str(tmp_path / "pki" / "ca.pem"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 90)
        assert process.returncode == 0, err.decode()
        [line] = [x for x in out.decode().splitlines() if x.startswith("RESULT ")]
        report = json.loads(line.removeprefix("RESULT "))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    # The client trusts the module (it knows the factory CA); the module refuses the
    # client's self-signed certificate, and offers no endpoint without security.
    assert "BadCertificateUntrusted" in report["signAndEncrypt"], report
    assert "must exist" in report["none"] and "SecurityPolicy#None" in report["none"], report
    assert module.skills["cutting.laser"].executions_started == 0
