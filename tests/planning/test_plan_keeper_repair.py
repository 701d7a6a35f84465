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

    def keeper(self, solve=None) -> PlanKeeper:
        """A plan keeper (not started yet) planning with this solver, or ``solve``."""
        return PlanKeeper(
            self.snapshot,  # type: ignore[arg-type]
            Plan(0, PlanStatus.EMPTY, ORIGIN, ORIGIN),
            solve=solve or self.solve,  # type: ignore[arg-type]
        )

    async def wait_for_calls(self, count: int) -> None:
        async with self.solved:
            await asyncio.wait_for(self.solved.wait_for(lambda: len(self.calls) >= count), 5)


async def test_a_repair_is_followed_by_an_ordinary_solve_that_improves_it():
    solver = RecordingSolver()
    keeper = solver.keeper()
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

    keeper = solver.keeper(solve)
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


async def test_a_freeze_during_the_debounce_starts_no_solve():
    """The circuit breaker trips (``freeze``) just after a change was noticed, while the
    keeper waits out its debounce: no plan goes into force until it is unfrozen."""
    solver = RecordingSolver()
    keeper = solver.keeper()
    keeper.start()
    try:
        await keeper.inputs_changed()
        await asyncio.sleep(0)  # the keeper notices the change and starts its debounce
        keeper.freeze()
        # Real time for a solve to start, were it let (a wait for what must not happen).
        await asyncio.sleep(10 * DEBOUNCE_SECONDS)
        assert solver.calls == []
        keeper.unfreeze()
        await solver.wait_for_calls(1)
    finally:
        await keeper.stop()
