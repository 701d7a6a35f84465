"""The plan keeper after a repair: the quickly solved repaired plan goes into force at
once, and an ordinary solve follows from it to keep improving it in the background."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

from pnp.orchestrator.planning import Plan
from pnp.orchestrator.planning.plan import PlanStatus
from pnp.orchestrator.service.plan_keeper import DEBOUNCE_SECONDS, PlanKeeper

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


class RecordingSolver:
    """Answers every solve at once with a new plan and records whether it was urgent."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.solved = asyncio.Condition()

    def snapshot(self, version: int, urgent: bool) -> SimpleNamespace:
        return SimpleNamespace(version=version, urgent=urgent)

    async def solve(self, inputs: SimpleNamespace, urgent: bool) -> Plan:
        async with self.solved:
            self.calls.append(urgent)
            self.solved.notify_all()
        return Plan(inputs.version, PlanStatus.FEASIBLE, ORIGIN, ORIGIN)

    async def wait_for_calls(self, count: int) -> None:
        async with self.solved:
            await asyncio.wait_for(self.solved.wait_for(lambda: len(self.calls) >= count), 5)


async def test_a_repair_is_followed_by_an_ordinary_solve_that_improves_it():
    solver = RecordingSolver()
    keeper = PlanKeeper(
        solver.snapshot,  # type: ignore[arg-type]
        Plan(0, PlanStatus.EMPTY, ORIGIN, ORIGIN),
        solve=solver.solve,  # type: ignore[arg-type]
    )
    keeper.start()
    try:
        await keeper.inputs_changed(urgent=True)
        await solver.wait_for_calls(2)
        assert solver.calls[:2] == [True, False]
        assert keeper.plan.version == 2  # the improvement replaced the repaired plan
    finally:
        await keeper.stop()


async def test_waiting_for_the_current_plan_does_not_wait_for_the_improvement():
    solver = RecordingSolver()
    release_ordinary = asyncio.Event()

    async def solve(inputs: SimpleNamespace, urgent: bool) -> Plan:
        if not urgent:
            await release_ordinary.wait()  # the improvement takes its full time limit
        return await solver.solve(inputs, urgent)

    keeper = PlanKeeper(
        solver.snapshot,  # type: ignore[arg-type]
        Plan(0, PlanStatus.EMPTY, ORIGIN, ORIGIN),
        solve=solve,  # type: ignore[arg-type]
    )
    keeper.start()
    try:
        await keeper.inputs_changed(urgent=True)
        repaired = await asyncio.wait_for(keeper.current(), 5)
        assert repaired.version == 1
        release_ordinary.set()
        await solver.wait_for_calls(2)
        assert solver.calls == [True, False]
    finally:
        await keeper.stop()


async def test_in_a_storm_of_losses_no_ordinary_solve_starts_between_the_repairs():
    """Each ordinary solve started between two repairs would be cancelled by the next
    (in a solver process: killed, and a new process started): none starts until the
    repairs have stopped for the quiet period."""
    solver = RecordingSolver()
    now = [100.0]
    keeper = PlanKeeper(
        solver.snapshot,  # type: ignore[arg-type]
        Plan(0, PlanStatus.EMPTY, ORIGIN, ORIGIN),
        solve=solver.solve,  # type: ignore[arg-type]
        repair_quiet=1.0,
        monotonic=lambda: now[0],
    )
    keeper.start()
    try:
        for repairs in range(1, 6):
            await keeper.inputs_changed(urgent=True)
            await solver.wait_for_calls(repairs)
            await keeper.inputs_changed()  # an execution ended meanwhile: ordinary
            # Real time for an ordinary solve to start, were it let (a wait for something
            # that must not happen); on the keeper's clock the next loss comes 0.3 s later.
            await asyncio.sleep(4 * DEBOUNCE_SECONDS)
            now[0] += 0.3
        assert solver.calls == [True] * 5
        now[0] += 1.0  # the storm is over; the keeper rechecks when its wait runs out
        await solver.wait_for_calls(6)
        assert solver.calls == [True] * 5 + [False]
    finally:
        await keeper.stop()


async def test_a_freeze_while_ordinary_solves_wait_for_quiet_starts_no_solve():
    """The circuit breaker trips (``freeze``) and asks for a repair while the keeper
    waits for repairs to stop: no plan goes into force until it is unfrozen."""
    solver = RecordingSolver()
    now = [100.0]
    keeper = PlanKeeper(
        solver.snapshot,  # type: ignore[arg-type]
        Plan(0, PlanStatus.EMPTY, ORIGIN, ORIGIN),
        solve=solver.solve,  # type: ignore[arg-type]
        repair_quiet=0.2,
        monotonic=lambda: now[0],
    )
    keeper.start()
    try:
        await keeper.inputs_changed(urgent=True)
        await solver.wait_for_calls(1)
        await keeper.inputs_changed()  # ordinary: waits for the quiet period
        keeper.freeze()
        await keeper.inputs_changed(urgent=True)  # the breaker's own replan request
        now[0] += 1.0
        # Real time for a solve to start, were it let (a wait for what must not happen).
        await asyncio.sleep(0.5)
        assert solver.calls == [True]
        assert keeper.plan.version == 1
        keeper.unfreeze()
        await solver.wait_for_calls(2)
        assert solver.calls == [True, True]  # the repair asked for while frozen
    finally:
        await keeper.stop()
