"""Squeaky-wheel optimisation: repeated dispatch, pushing the late jobs forward.

For problems the tabu search does not cover (due dates, batch machines, availability
windows, replanning), CP-SAT on two workers improves large instances very slowly:
on the 1800-operation factory of ``bench/scale.py`` it spends most of a minute in
presolve and barely moves. This loop works at the dispatch heuristic's speed instead:
after each greedy pass, every late job's operations get a head start in the next
pass in proportion to its weighted lateness (plus a little noise so ties break
differently), and the best plan by the problem's own objective is kept. It handles
every constraint the dispatcher does, because it is the dispatcher.

Once a pass has no late job, the head starts fade (``_FADE`` per pass) instead of
staying: the pushes that made every job punctual also bent the whole plan away from
the dispatcher's own order, which is the one that keeps the machines busy, and the
plans between the two (punctual, less bent) end earlier. On ``bench/scale.py``'s
1800-operation factory they ended 2-4 % earlier than with the head starts kept
(seeds 0-2, 8 s of passes); a job that turns late again is pushed again.

Joslin and Clements, "Squeaky wheel optimization", JAIR 10 (1999).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation

_Schedule = tuple[ScheduledOperation, ...]

# Seconds of head start per weighted second of lateness, per pass.
_PUSH = 0.5
# After a pass with no late job, every head start is multiplied by this.
_FADE = 0.7


def improve(
    problem: Problem,
    *,
    seed: int,
    should_stop: Callable[[float], bool],
    on_schedule: Callable[[_Schedule], object],
    base: Callable[[], Sequence[float]] | None = None,
) -> None:
    """Dispatch again and again, offering each plan, until ``should_stop(seconds)``,
    where ``seconds`` is how long the next pass will likely take (the last one's time),
    so the caller can stop in time for its deadline. ``base``, asked before every
    pass (seconds per job, e.g. ``bottleneck.Drum.head_starts``), lies under that
    pass's head starts and never fades."""
    rng = random.Random(seed)
    last_pass = 0.0
    shortest = [min(m.duration for m in op.modes) for op in problem.operations]
    noise = max(1.0, sum(shortest) / max(1, len(shortest)) / 10)
    boosts = [0.0] * len(problem.jobs)
    while not should_stop(last_pass):
        started = time.monotonic()
        under = None if base is None else base()
        schedule = dispatch(
            problem,
            boosts if under is None else [b + own for b, own in zip(under, boosts, strict=True)],
        )
        last_pass = time.monotonic() - started
        if schedule is None:
            return  # the dispatcher cannot place something: nothing to improve on
        on_schedule(schedule)
        completion: dict[int, int] = {}
        for s in schedule:
            j = problem.operations[s.operation].job
            completion[j] = max(completion.get(j, s.end), s.end)
        pushes = [
            0
            if job.due is None or j not in completion
            else _PUSH * job.weight * max(0, completion[j] - job.due)
            for j, job in enumerate(problem.jobs)
        ]
        fade = 1.0 if any(pushes) else _FADE
        for j, push in enumerate(pushes):
            boosts[j] = fade * boosts[j] + push + rng.uniform(0, noise)
