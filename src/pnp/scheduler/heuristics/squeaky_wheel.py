"""Squeaky-wheel optimisation: repeated dispatch, pushing the late jobs forward.

For problems the tabu search does not cover (due dates, batch machines, availability
windows, replanning), CP-SAT on two workers improves large instances very slowly:
on the 1800-operation factory of ``bench/scale.py`` it spends most of a minute in
presolve and barely moves. This loop works at the dispatch heuristic's speed instead:
after each greedy pass, every late job's operations get a head start in the next
pass in proportion to its weighted lateness (plus a little noise so ties break
differently), and the best plan by the problem's own objective is kept. It handles
every constraint the dispatcher does, because it is the dispatcher.

Joslin and Clements, "Squeaky wheel optimization", JAIR 10 (1999).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.problem import Objective, Problem
from pnp.scheduler.result import ScheduledOperation

_Schedule = tuple[ScheduledOperation, ...]

# Seconds of head start per weighted second of lateness, per pass.
_PUSH = 0.5
# Jobs finishing in the last tenth of the plan's span get a push too, a tenth as
# strong per second past that line as lateness would give.
_MAKESPAN_TAIL = 0.1
_MAKESPAN_DAMPING = 10


def improve(
    problem: Problem,
    *,
    seed: int,
    should_stop: Callable[[float], bool],
    on_schedule: Callable[[_Schedule], object],
) -> None:
    """Dispatch again and again, offering each plan, until ``should_stop(seconds)``,
    where ``seconds`` is how long the next pass will likely take (the last one's time),
    so the caller can stop in time for its deadline."""
    rng = random.Random(seed)
    last_pass = 0.0
    shortest = [min(m.duration for m in op.modes) for op in problem.operations]
    noise = max(1.0, sum(shortest) / max(1, len(shortest)) / 10)
    boosts = [0.0] * len(problem.jobs)
    measures_makespan = Objective.MAKESPAN in problem.objectives
    while not should_stop(last_pass):
        started = time.monotonic()
        schedule = dispatch(problem, boosts)
        last_pass = time.monotonic() - started
        if schedule is None:
            return  # the dispatcher cannot place something: nothing to improve on
        on_schedule(schedule)
        completion: dict[int, int] = {}
        for s in schedule:
            j = problem.operations[s.operation].job
            completion[j] = max(completion.get(j, s.end), s.end)
        # Once nothing is late, the makespan is what is left to shorten: the jobs that
        # finish last squeak too (a job's lateness outweighs any of these pushes).
        last = max(completion.values(), default=0)
        tail_from = last - _MAKESPAN_TAIL * (last - min(completion.values(), default=0))
        for j, job in enumerate(problem.jobs):
            late = 0 if job.due is None or j not in completion else completion[j] - job.due
            boosts[j] += _PUSH * job.weight * max(0, late) + rng.uniform(0, noise)
            if measures_makespan and j in completion and completion[j] > tail_from:
                boosts[j] += _PUSH * (completion[j] - tail_from) / _MAKESPAN_DAMPING
