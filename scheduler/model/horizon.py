"""A safe upper bound on every time in the schedule.

Every variable's domain is ``[0, horizon]``, and the objective uses ``horizon + 1`` as
the weight that makes tardiness dominate makespan, so the bound must be safe (never
cut off a feasible schedule) and should be small (tighter domains, smaller weights).
"""

from __future__ import annotations

from scheduler.problem import Problem


def max_transport(problem: Problem, before: int, after: int) -> int:
    """Largest transport time a precedence edge can incur over all mode pairs."""
    if problem.transport is None:
        return 0
    return max(
        problem.transport[a.machine][b.machine]
        for a in problem.operations[before].modes
        for b in problem.operations[after].modes
    )


def horizon(problem: Problem) -> int:
    """Sum of longest durations, latest release, and every edge's delay and transport.

    Safe because running all operations one after another in topological order,
    starting at the latest release, each on its longest mode, is feasible: each
    operation waits at most one edge's delay plus transport past the previous end.
    """
    longest = sum(max(mode.duration for mode in op.modes) for op in problem.operations)
    latest_release = max((max(0, job.release) for job in problem.jobs), default=0)
    waits = sum(
        p.min_delay + max_transport(problem, p.before, p.after) for p in problem.precedences
    )
    return longest + latest_release + waits
