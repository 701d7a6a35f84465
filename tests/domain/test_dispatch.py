"""Dispatch decisions: each module follows its planned sequence, material must arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pnp.orchestrator.domain.attempts import Attempt, AttemptState, progress_of
from pnp.orchestrator.domain.operations import OperationSpec
from pnp.orchestrator.execution.dispatch import PlannedOperation, next_dispatches

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def op(name: str, *after: str) -> OperationSpec:
    return OperationSpec(
        operation_id=f"o1/{name}",
        order_id="o1",
        step_id=name,
        lot=1,
        units=1,
        capability="c.x",
        after=tuple(f"o1/{a}" for a in after),
    )


def planned(spec: OperationSpec, module: str, minute: int) -> PlannedOperation:
    return PlannedOperation(spec, module, T0 + timedelta(minutes=minute))


def done(spec: OperationSpec, module: str, ended: datetime) -> Attempt:
    return Attempt(
        execution_id=f"x-{spec.operation_id}",
        operation_id=spec.operation_id,
        order_id="o1",
        module_id=module,
        epoch=1,
        capability="c.x",
        parameters={},
        units=1,
        state=AttemptState.COMPLETE,
        started_at=ended - timedelta(minutes=5),
        ended_at=ended,
    )


CUT, WELD, PAINT = op("cut"), op("weld", "cut"), op("paint", "weld")
DOCKS = {"laser": "A1", "welder": "A2", "booth": "A3"}


def transport(a: str, b: str) -> int:
    return 0 if a == b else 60


def decide(plan, attempts=(), ready=None, now=T0):
    ready = set(DOCKS) if ready is None else ready
    return [
        (d.spec.step_id, d.module_id)
        for d in next_dispatches(plan, progress_of(attempts), ready, DOCKS, transport, now)
    ]


PLAN = [planned(CUT, "laser", 0), planned(WELD, "welder", 10), planned(PAINT, "booth", 20)]


def test_only_operations_without_open_predecessors_start():
    assert decide(PLAN) == [("cut", "laser")]


def test_a_successor_waits_for_the_transport_between_docks():
    cut_done = done(CUT, "laser", T0)
    assert decide(PLAN, [cut_done], now=T0 + timedelta(seconds=59)) == []
    assert decide(PLAN, [cut_done], now=T0 + timedelta(seconds=60)) == [("weld", "welder")]


def test_a_module_that_is_not_ready_gets_nothing():
    assert decide(PLAN, ready={"welder", "booth"}) == []


def test_a_module_follows_its_planned_sequence_and_does_not_skip_ahead():
    other = op("cut2")
    plan = [planned(WELD, "laser", 0), planned(other, "laser", 10), planned(CUT, "welder", 0)]
    # The laser's first job waits for its predecessor; the second must not jump the queue.
    assert decide(plan) == [("cut", "welder")]


def test_running_and_done_operations_are_not_started_again():
    running = done(CUT, "laser", T0)
    running = Attempt(**{**running.__dict__, "state": AttemptState.RUNNING, "ended_at": None})
    assert decide(PLAN, [running]) == []
    assert ("cut", "laser") not in decide(PLAN, [done(CUT, "laser", T0)])


def test_a_failed_operation_is_dispatched_again():
    failed = Attempt(**{**done(CUT, "laser", T0).__dict__, "state": AttemptState.FAILED})
    assert decide(PLAN, [failed]) == [("cut", "laser")]
    assert progress_of([failed])["o1/cut"].failed_modules == ("laser",)


def failed(spec: OperationSpec, module: str, ended: datetime) -> Attempt:
    attempt = done(spec, module, ended)
    return Attempt(**{**attempt.__dict__, "state": AttemptState.FAILED, "execution_id": "x-f"})


def test_a_failed_operation_is_not_started_again_where_it_failed_by_a_plan_older_than_the_failure():
    stale = [PlannedOperation(CUT, "laser", T0, planned_at=T0)]
    failure = failed(CUT, "laser", T0 + timedelta(minutes=1))
    assert decide(stale, [failure], now=T0 + timedelta(minutes=1)) == []


def test_a_plan_made_after_the_failure_may_keep_the_operation_there_when_none_else_can():
    fresh = [PlannedOperation(CUT, "laser", T0, planned_at=T0 + timedelta(minutes=2))]
    failure = failed(CUT, "laser", T0 + timedelta(minutes=1))
    assert decide(fresh, [failure], now=T0 + timedelta(minutes=2)) == [("cut", "laser")]


def test_a_failure_elsewhere_does_not_hold_the_operation_back():
    stale = [PlannedOperation(CUT, "laser", T0, planned_at=T0)]
    failure = failed(CUT, "other-laser", T0 + timedelta(minutes=1))
    assert decide(stale, [failure], now=T0 + timedelta(minutes=1)) == [("cut", "laser")]
