"""Interop: node-opcua-client (npm, a client we did not write) drives a simulated module."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from modules.sim import SimulatedModule, SimulatedModuleConfig

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
