"""The checker itself catches broken schedules (so a passing check means something)."""

from __future__ import annotations

import dataclasses

from scheduler import Job, Precedence, Problem, Result, ScheduledOperation, SolveStatus

from .checker import violations
from .instances import machines, op

PROBLEM = Problem(
    machines(2),
    (Job("j", due=4),),
    (op("a", 0, (0, 3), (1, 5)), op("b", 0, (0, 2))),
    (Precedence(0, 1),),
    ((0, 1), (1, 0)),
)


def result(*placed: tuple[int, int, int], **fields) -> Result:
    schedule = tuple(ScheduledOperation(i, m, s, e) for i, (m, s, e) in enumerate(placed))
    makespan = max(e for _, _, e in placed)
    tardiness = max(0, makespan - 4)
    defaults = dict(
        status=SolveStatus.FEASIBLE,
        schedule=schedule,
        objective=float(100 * tardiness + makespan),
        bound=0.0,
        makespan=makespan,
        weighted_tardiness=tardiness,
        solve_seconds=0.0,
        tardiness_weight=100,
    )
    return Result(**{**defaults, **fields})


def test_a_sound_schedule_has_no_violations():
    assert violations(PROBLEM, result((0, 0, 3), (0, 3, 5))) == []
    assert violations(PROBLEM, result((1, 0, 5), (0, 6, 8))) == []


def test_wrong_machine_or_duration_is_caught():
    assert violations(PROBLEM, result((0, 0, 3), (1, 3, 5)))
    assert violations(PROBLEM, result((0, 0, 4), (0, 4, 6)))


def test_broken_precedence_or_missing_transport_is_caught():
    assert violations(PROBLEM, result((0, 2, 5), (0, 0, 2)))
    assert violations(PROBLEM, result((1, 0, 5), (0, 5, 7)))


def test_overlap_on_a_machine_is_caught():
    unordered = dataclasses.replace(PROBLEM, precedences=())
    assert violations(unordered, result((0, 0, 3), (0, 2, 4)))


def test_misreported_makespan_or_tardiness_is_caught():
    assert violations(PROBLEM, result((0, 0, 3), (0, 3, 5), makespan=4))
    assert violations(PROBLEM, result((0, 0, 3), (0, 3, 5), weighted_tardiness=0))
