"""A planned maintenance window is unavailability in the plan: work moves around it, to
another capable module or after the window, and work running when it opens finishes
first; dispatch never starts work inside a window, nor early across one."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from pnp.orchestrator.domain.attempts import AttemptState, progress_of
from pnp.orchestrator.domain.operations import expand_order
from pnp.orchestrator.execution.dispatch import PlannedOperation, next_dispatches
from pnp.orchestrator.planning import PlanningInput, plan_factory
from pnp.orchestrator.planning.maintenance import availability
from tests.domain.test_matching import laser
from tests.planning.test_history_in_planning import NOW, done, order

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def plan(modules, maintenance, progress=None, orders=(1, 2)):
    return plan_factory(
        PlanningInput(
            orders=tuple(order(n) for n in orders),
            modules=tuple(modules),
            layout=None,
            origin=NOW,
            version=1,
            time_limit=2.0,
            progress=progress or {},
            maintenance=maintenance,
        )
    )


def overlaps(assignment, start, end) -> bool:
    return assignment.start < end and start < assignment.end


def test_without_maintenance_both_lasers_take_work():
    made = plan([laser("laser-1", 10), laser("laser-2", 10)], {})
    assert {a.module_id for a in made.assignments} == {"laser-1", "laser-2"}


def test_work_moves_to_the_other_laser_while_one_is_in_maintenance():
    window = (NOW, NOW + 8 * HOUR)
    made = plan([laser("laser-1", 10), laser("laser-2", 10)], {"laser-1": (window,)})
    assert len(made.assignments) == 4
    assert not [a for a in made.assignments if a.module_id == "laser-1" and overlaps(a, *window)]
    assert {a.module_id for a in made.assignments} == {"laser-2"}


def test_with_one_laser_the_work_waits_until_the_window_ends():
    window = (NOW + timedelta(minutes=5), NOW + 2 * HOUR)
    made = plan([laser("laser-1", 10)], {"laser-1": (window,)})
    assert len(made.assignments) == 4
    for assignment in made.assignments:
        assert not overlaps(assignment, *window), assignment
    assert max(a.start for a in made.assignments) >= window[1]


def test_work_running_when_the_window_opens_finishes_first():
    module = laser("laser-1", 10)
    running = dataclasses.replace(done(1, "cut", -1, 0), ended_at=None, state=AttemptState.RUNNING)
    window = (NOW, NOW + HOUR)
    made = plan([module], {"laser-1": (window,)}, progress=progress_of([running]), orders=(1,))
    waiting = [a for a in made.assignments if a.operation_id == "ord-1/cut-again"]
    assert waiting and waiting[0].start >= window[1]


def test_availability_is_the_complement_of_the_windows_ahead():
    windows = ((NOW - 2 * HOUR, NOW - HOUR), (NOW + HOUR, NOW + 2 * HOUR))
    [before, after] = availability(windows, NOW)
    assert (before.start, before.end) == (None, 3600)
    assert (after.start, after.end) == (7200, None)
    assert availability(windows[:1], NOW) is None  # a window in the past changes nothing
    # Open since an hour ago, while the module runs a job until 600 s from now: the
    # window starts, for the plan, when that job ends.
    [running, after] = availability(((NOW - HOUR, NOW + HOUR),), NOW, busy_until=600)
    assert (running.start, running.end, after.start, after.end) == (None, 600, 3600, None)


def test_dispatch_starts_nothing_inside_a_window_nor_early_across_one():
    spec = expand_order("ord-1", order(1).recipe)[0]

    def decide(planned_start, windows, now):
        planned = [PlannedOperation(spec, "laser-1", planned_start)]
        decisions = next_dispatches(
            planned, {}, {"laser-1"}, {"laser-1": "A1"}, lambda a, b: 0, now, windows
        )
        return [d.spec.operation_id for d in decisions]

    window = (NOW + HOUR, NOW + 2 * HOUR)
    assert decide(NOW, {}, NOW) == [spec.operation_id]
    assert decide(NOW, {"laser-1": (window,)}, NOW + 90 * MINUTE) == []
    # Planned after the window: not started early, before the window's end...
    assert decide(NOW + 2 * HOUR, {"laser-1": (window,)}, NOW) == []
    # ...and started once it is over.
    assert decide(NOW + 2 * HOUR, {"laser-1": (window,)}, NOW + 2 * HOUR) == [spec.operation_id]
    # Planned before the window, started early: fine.
    assert decide(NOW + 30 * MINUTE, {"laser-1": (window,)}, NOW) == [spec.operation_id]
