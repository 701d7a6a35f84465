"""A module declared lost that comes back with its execution complete is not re-run.

Real processes over real wires: `pnp serve` and a welding cell (`pnp module run`)
behind fault proxies (tests/faults/floor.py). The cell is in the middle of a weld when
its cable is pulled; its lease runs out, it is declared lost, and the weld is re-run on
a second cell, which welds ten times slower, so the re-run is still going when the
first cell, which went on welding unseen, finishes and its cable is put back (within
the return grace). Then:

- the first cell's result is taken: its attempt is complete, with what it reported;
- the re-run is recorded superseded (and aborted on its cell), not counted;
- the history counts the operation exactly once, and no module accepted an execution
  id twice (tests/e2e/history_checker.py and the modules' journals).

The same must hold when the orchestrator restarts while the attempt is in doubt: the
in-doubt attempt is taken over from the store, not forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest

from pnp.orchestrator.execution.opcua_link import ModuleLink
from pnp.v1 import attempt_pb2, module_pb2
from pnp.v1.opcua import ExecutionOutcome, PackMLState
from tests.conftest import DEMO_LAYOUT
from tests.faults.floor import COMPLETE, ProxiedFloor, ProxiedModule, weld_order

pytestmark = [
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.xdist_group("floors"),  # a floor of processes at a time
    pytest.mark.timeout(300),
]

TIME_SCALE = "20"  # a weld (180 s set-up + 240 s per unit) takes 21 real seconds
SLOW_TIME_SCALE = "2"  # on the second cell: 210 real seconds
LEASE_TTL = 3.0
WELDING = "joining.welding"
SUPERSEDED = attempt_pb2.ATTEMPT_STATE_SUPERSEDED
LOST = module_pb2.MODULE_LIVENESS_LOST
SERVE = (
    "--layout", str(DEMO_LAYOUT), "--lease-ttl", str(LEASE_TTL),
    "--heartbeat-interval", "0.5", "--solve-time-limit", "1",
)  # fmt: skip


@contextlib.asynccontextmanager
async def looking_at(module: ProxiedModule) -> AsyncIterator[ModuleLink]:
    """A link of our own to the module's OPC UA server, past its proxy: what the module
    is doing while the orchestrator cannot see it."""
    link = ModuleLink(module.module_id, module.served, lambda: None)
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 30)
        yield link
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def finished_unseen(module: ProxiedModule, execution_id: str) -> dict:
    """Waits until the module holds ``execution_id`` complete; returns its results."""
    async with looking_at(module) as link, asyncio.timeout(60):
        while True:
            skill = link.skills.get(WELDING)
            if skill and (skill.execution_id, skill.packml_state) == (
                execution_id,
                PackMLState.COMPLETE,
            ):
                report = await link.query_execution(WELDING, execution_id)
                assert report.outcome == ExecutionOutcome.COMPLETE
                return dict(report.results)
            await asyncio.sleep(0.1)


async def lost(floor: ProxiedFloor, module_id: str) -> None:
    async with floor.client() as client, asyncio.timeout(60):
        while (await client.get_module(module_id)).liveness != LOST:
            await asyncio.sleep(0.1)


async def stored_events(
    floor: ProxiedFloor, kind: str, naming: str, within: float = 30.0
) -> list[tuple[str, str]]:
    """The stored events of ``kind``, once one names ``naming`` (or ``within`` s passed)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        events = floor.events(kind)
        if any(naming in message for _, message in events):
            return events
        if asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.1)


async def come_back_after_a_rerun(tmp_path, *, restart_while_in_doubt: bool):
    """The scenario of the module's docstring; returns what the test checks."""
    async with ProxiedFloor(
        tmp_path, [("welding-cell", "A2")], time_scale=TIME_SCALE, serve_options=SERVE
    ) as floor:
        order_id = await floor.submit(weld_order(0), "bracket.yaml", "weld-once")
        first = await floor.running_attempt()
        [victim] = floor.modules
        slow = await floor.add_module("welding-cell", "B3", time_scale=SLOW_TIME_SCALE)

        victim.partition()  # mid-weld: ~15 of its 21 s still to go
        await lost(floor, victim.module_id)
        rerun = await floor.running_attempt(module_ids={slow.module_id})
        if restart_while_in_doubt:
            floor.kill_orchestrator()
            await floor.start_orchestrator()
        results = await finished_unseen(victim, first.execution_id)
        victim.heal()  # back within the return grace (60 s), same boot

        await floor.all_completed(1, timeout=120)
        verdict = await floor.verdict()
        # Events are stored in batches, just after the attempts they tell of.
        reclaimed = await stored_events(floor, "operation.reclaimed", first.execution_id)
        superseded = await stored_events(floor, "operation.superseded", rerun.execution_id)
    assert floor.tracebacks() == [], floor.first_traceback()
    return order_id, first, rerun, results, verdict, victim, slow, reclaimed, superseded


@pytest.mark.parametrize("restart_while_in_doubt", [False, True], ids=["", "across-a-restart"])
async def test_a_module_back_with_its_execution_complete_is_not_re_run_elsewhere(
    tmp_path, restart_while_in_doubt
):
    (
        order_id,
        first,
        rerun,
        results,
        verdict,
        victim,
        slow,
        reclaimed,
        superseded,
    ) = await come_back_after_a_rerun(tmp_path, restart_while_in_doubt=restart_while_in_doubt)
    assert rerun.execution_id != first.execution_id
    assert verdict.problems == []  # once in the history; no execution id accepted twice
    weld = {a.execution_id: a for a in verdict.attempts if a.operation_id == f"{order_id}/weld"}
    assert {x: a.state for x, a in weld.items()} == {
        first.execution_id: COMPLETE,  # the module's own result is taken
        rerun.execution_id: SUPERSEDED,  # the re-run does not count
    }
    assert json.loads(weld[first.execution_id].results_json) == results
    assert weld[rerun.execution_id].module_id == slow.module_id
    assert [s for s, _ in reclaimed] == [f"{order_id}/weld"]
    assert [m for _, m in superseded if rerun.execution_id in m]
    assert victim.accepted() == [first.execution_id]
    assert slow.accepted() == [rerun.execution_id]
