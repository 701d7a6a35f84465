"""Measures of a schedule, computed from the schedule itself (not from solver variables)."""

from __future__ import annotations

from collections.abc import Sequence

from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation


def makespan(schedule: Sequence[ScheduledOperation]) -> int:
    """Latest end, measured from the plan origin; 0 for an empty schedule."""
    return max((s.end for s in schedule), default=0)


def weighted_tardiness(problem: Problem, schedule: Sequence[ScheduledOperation]) -> int:
    """Sum over jobs with a due date of ``weight * max(0, completion - due)``."""
    completion: dict[int, int] = {}
    for s in schedule:
        j = problem.operations[s.operation].job
        completion[j] = max(completion.get(j, s.end), s.end)
    total = 0
    for j, end in completion.items():
        job = problem.jobs[j]
        if job.due is not None:
            total += job.weight * max(0, end - job.due)
    return total


def moved_operations(problem: Problem, schedule: Sequence[ScheduledOperation]) -> int:
    """Free operations of the previous plan that now run on another machine."""
    if not problem.previous_plan:
        return 0
    return sum(
        1
        for s in schedule
        if problem.operations[s.operation].frozen is None
        and (previous := problem.previous_plan[s.operation]) is not None
        and previous.machine != s.machine
    )
