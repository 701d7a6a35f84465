"""Maintenance before failure on a real floor: a simulated laser wears (seeded), its
health falls below the threshold before it fails, the factory proposes a window, the
planner accepts it with `pnp module maintenance --accept`, and the plan moves the
remaining cuts around the window; `pnp status` shows the health."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest

from pnp.orchestrator.service.twin import TwinService
from pnp.sdk.wear import WearProfile
from tests.cli.factory_scenes import run_pnp
from tests.conftest import start_factory

SCALE = 300
CUTS = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: many-brackets}
spec:
  product: bracket
  quantity: 60
  lotSize: 1
  steps:
    - id: cut
      capability: cutting.laser
      parameters: {material: steel-s235, thickness_mm: 3}
"""


async def until(predicate, timeout: float = 120):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := await predicate()):
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.2)
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_wearing_laser_gets_a_window_before_it_fails_and_work_moves_around_it(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE)
    try:
        wear = WearProfile(onset=14, life=12)
        await running.plug_in("laser-cutter", "A1", time_scale=SCALE, seed=3, wear=wear)
        await running.plug_in(
            "multi-laser", "C2", time_scale=SCALE, seed=4, wear=WearProfile(onset=None)
        )
        await running.factory.submit_order(CUTS, "cuts.yaml", "r1")
        twin = TwinService(running.factory)

        async def proposed():
            for health, proposal in await twin.health():
                if health.module_id == "laser-cutter-a1" and proposal is not None:
                    return health, proposal
            return None

        health, proposal = await until(proposed)
        worn = [
            a
            for a in running.factory.attempts()
            if a.module_id == "laser-cutter-a1" and a.state.value in ("complete", "failed")
        ]
        # Flagged after the fault began and before the first worn-out failure.
        assert wear.onset < len(worn) < wear.onset + wear.life
        assert not any(a.state.value == "failed" for a in worn)
        assert health.worst_feature in proposal.reason

        accepted = await run_pnp(
            running.address, "module", "maintenance", "laser-cutter-a1", "--accept", "--json"
        )
        assert accepted.returncode == 0, accepted.stderr
        window = json.loads(accepted.stdout)["window"]
        start, end = (
            datetime.fromisoformat(window[k].replace("Z", "+00:00")) for k in ("start", "end")
        )
        # The proposal as it stands when accepted: factory time has moved on since.
        assert start >= proposal.start and end - start == proposal.end - proposal.start

        plan = await running.factory.plan(wait_for_current=True)
        inside = [
            a
            for a in plan.assignments
            if a.module_id == "laser-cutter-a1" and a.start < end and start < a.end
        ]
        assert not inside, inside
        assert any(a.module_id == "multi-laser-c2" for a in plan.assignments)

        shown = await run_pnp(running.address, "status", "--json")
        assert shown.returncode == 0, shown.stderr
        rows = {m["module_id"]: m for m in json.loads(shown.stdout)["modules"]}
        assert rows["laser-cutter-a1"]["health"] < 0.5
        health_table = await run_pnp(running.address, "module", "health", "--json")
        [laser] = [
            m
            for m in json.loads(health_table.stdout)["modules"]
            if m["module_id"] == "laser-cutter-a1"
        ]
        assert laser["planned"] and "below 0.50" in laser["planned"][0]["reason"]
    finally:
        await running.close()
