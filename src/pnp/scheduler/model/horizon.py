"""A safe window ``[earliest, horizon]`` for every time in the schedule.

Every variable's domain lies in it, and the lexicographic objective weights derive
from its width, so the bound must be safe (never cut off an optimal schedule) and
should be small (tighter domains, smaller weights).
"""

from __future__ import annotations

from pnp.scheduler.problem import Problem


def max_transport(problem: Problem, before: int, after: int) -> int:
    """Largest transport time a precedence edge can incur over all mode pairs."""
    if problem.transport is None:
        return 0
    return max(
        problem.transport[a.machine][b.machine]
        for a in problem.operations[before].modes
        for b in problem.operations[after].modes
    )


def earliest(problem: Problem) -> int:
    """Plan origin, or the start of the oldest frozen operation if that is earlier."""
    return min([0, *(op.frozen.start for op in problem.operations if op.frozen)])


def horizon(problem: Problem) -> int:
    """Latest fixed event, then room for every free operation in a row.

    After the latest fixed time (release, frozen end, window boundary) nothing about
    the machines changes any more, so running the free operations one after another in
    topological order, each on its longest mode, each waiting for one edge's delay and
    transport and one changeover, is feasible whenever anything is; an optimal
    schedule that is left-justified (nothing can start earlier) ends no later.
    """
    fixed_events = [0]
    for job in problem.jobs:
        fixed_events.append(job.release)
    for op in problem.operations:
        if op.frozen:
            fixed_events.append(op.frozen.start + max(m.duration for m in op.modes))
    for machine in problem.machines:
        for window in machine.availability or ():
            fixed_events += [t for t in (window.start, window.end) if t is not None]
    free = [op for op in problem.operations if op.frozen is None]
    longest = sum(max(mode.duration for mode in op.modes) for op in free)
    changeovers = sum(
        max(
            (c.seconds for mode in op.modes for c in problem.machines[mode.machine].changeovers),
            default=0,
        )
        for op in free
    )
    waits = sum(
        p.min_delay + max_transport(problem, p.before, p.after) for p in problem.precedences
    )
    return max(fixed_events) + longest + changeovers + waits
