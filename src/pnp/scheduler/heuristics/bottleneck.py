"""Feed the bottleneck: per-job head starts from a plan of the busiest module kind alone.

On ``bench/scale.py``'s 1800-operation factory every order ends on one of five
packing modules, and packing carries a third more work than any other kind: the
makespan bound is packing's least chain head plus its balanced load. The
dispatcher's plans end 6-9 % above that bound because the packing modules stand
idle early in the plan (1,100-4,100 s each on seed 0) waiting for upstream work:
choosing among ready operations by their earliest start alone, upstream serves
orders breadth first and none reaches packing soon.

Drum-buffer-rope (Goldratt) in greedy steps: schedule the bottleneck's work
alone, each operation released when its input can arrive (at first its chain
head) and taken in order of its latest start that keeps its order on time (due
date less the work after it), on the module that finishes it first. That relaxed
plan gives every order a target start on the bottleneck; upstream then works for
the orders in that order: each order's head start is proportional to how much
earlier its target is than the latest one. Squeaky wheel keeps these as a base
under its own (fading) pushes, and the targets are re-taken before every pass
from the best plan so far, released when that plan's upstream delivers (the rope).

By hand on ``bench/scale.py`` (seeds 0-4, 160 squeaky-wheel passes): makespan
21866, 24850, 24382, 23002, 23899 against 22740, 25739, 25899, 23596, 24551
without the base (80 passes), weighted tardiness 0 on all; the
plain dispatch with the first targets is already punctual on all five. Fixed
targets (never re-taken) gave 22148, 24977, 24703, 23325, 24005. Ordering the
bottleneck by chain head alone (no due dates) gave a dispatch plan 3 % shorter on
seed 0 but late, and squeaky wheel pushing the late orders undid the gain.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.lower_bound import connected_machines, heads_and_tails
from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation

# Seconds of head start per second by which an order's target on the bottleneck is
# earlier than the latest one's. By hand on bench/scale.py (160 squeaky-wheel passes,
# targets re-taken from the best plan): 0.05 gave the shortest plans on all five
# seeds (21866, 24850, 24382, 23002, 23899 against 21941, 24942, 24460, 23066, 23930
# at 0.03); 0.02, 0.08 and 0.12 were longer on seeds 0 and 3 (at 0.12 seed 0 ended
# at 22653: upstream modules idle waiting for the favoured orders).
WEIGHT = 0.05
_NO_DUE = 2**60
# Module kinds tried as the bottleneck: those within this share of the largest
# head-load-tail, at most this many (each costs one dispatch).
_CANDIDATE_LOAD = 0.1
_CANDIDATES = 3

_Schedule = tuple[ScheduledOperation, ...]


class Drum:
    """The bottleneck's work, and head starts that feed it (``head_starts``)."""

    def __init__(
        self,
        problem: Problem,
        work: list[int],
        head: list[int],
        tail: list[int],
        shortest: list[int],
        weight: float = WEIGHT,
    ) -> None:
        self._problem = problem
        self._work = work
        self._head, self._tail, self._shortest = head, tail, shortest
        self._weight = weight
        inside = set(work)
        self._feeders: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for p in problem.precedences:
            if p.after in inside:
                self._feeders[p.after].append((p.before, p.min_delay))

    def head_starts(self, plan: Sequence[ScheduledOperation] | None = None) -> list[float]:
        """Per job, the head start (seconds) that feeds the bottleneck in its target
        order: ``weight`` times how much earlier the job's target start there is than
        the latest job's; 0 for jobs with no work there.

        Without ``plan`` each bottleneck operation is released at its chain head; with
        one, when that plan's upstream delivers its input (the rope: targets upstream
        can meet). Re-targeted from the best plan so far after each pass, squeaky
        wheel's plans kept getting shorter where fixed targets stalled (by hand,
        bench/scale.py seeds 0-4, 160 passes, weight 0.03: 21941, 24935, 24313,
        23087, 23868 against 22148, 24977, 24703, 23325, 24005); from the last pass
        instead, they stalled at once."""
        problem = self._problem
        release = self._head if plan is None else self._arrivals(plan)
        target = _relaxed_starts(problem, self._work, release, self._tail, self._shortest)
        by_job: dict[int, int] = {}
        for i, start in target.items():
            j = problem.operations[i].job
            by_job[j] = min(by_job.get(j, start), start)
        latest = max(by_job.values())
        return [
            self._weight * (latest - by_job[j]) if j in by_job else 0.0
            for j in range(len(problem.jobs))
        ]

    def _arrivals(self, plan: Sequence[ScheduledOperation]) -> list[int]:
        """Per operation (bottleneck work only, the rest as the chain heads): when its
        input is there in ``plan``, at the least transport to any of its machines."""
        problem = self._problem
        arrival = list(self._head)
        for i in self._work:
            machines = [mode.machine for mode in problem.operations[i].modes]
            for before, delay in self._feeders[i]:
                placed = plan[before]
                transport = min(problem.transport_time(placed.machine, m) for m in machines)
                arrival[i] = max(arrival[i], placed.end + delay + transport)
        return arrival


def choose(
    problem: Problem,
    rank: Callable[[_Schedule], int],
    weight: float = WEIGHT,
    should_stop: Callable[[float], bool] = lambda _: False,
) -> Drum | None:
    """The bottleneck to feed; None when no operation can move, or when
    ``should_stop(seconds)`` (``seconds``: how long the next trial will likely take)
    came before any trial.

    Which module kind is the bottleneck is not always clear from the loads: on
    ``bench/scale.py`` seed 3 milling's head-load-tail (20,250) is above packing's
    (19,991), but feeding milling first made the plan 10 % longer and late. So every
    kind within ``_CANDIDATE_LOAD`` of the largest load is tried (the
    ``_CANDIDATES`` most loaded) with one dispatch, and the one whose plan ``rank``
    puts first (smaller is better) is kept."""
    shortest = [min(mode.duration for mode in op.modes) for op in problem.operations]
    head, tail = heads_and_tails(problem, shortest)
    best: tuple[int, Drum] | None = None
    last_trial = 0.0
    for work in _bottlenecks(problem, shortest, head, tail):
        if should_stop(last_trial):
            break
        started = time.monotonic()
        drum = Drum(problem, work, head, tail, shortest, weight)
        schedule = dispatch(problem, drum.head_starts())
        last_trial = time.monotonic() - started
        if schedule is None:
            continue
        value = rank(schedule)
        if best is None or value < best[0]:
            best = (value, drum)
    return None if best is None else best[1]


def _bottlenecks(
    problem: Problem, shortest: list[int], head: list[int], tail: list[int]
) -> list[list[int]]:
    """The movable operations of each machine group (module kind) whose head-load-tail
    (least head + least work per unit of capacity + least tail) is within
    ``_CANDIDATE_LOAD`` of the largest, most loaded first, at most ``_CANDIDATES``."""
    connected = connected_machines(problem)
    work: dict[frozenset[int], list[int]] = defaultdict(list)
    for i, op in enumerate(problem.operations):
        if op.frozen is None:
            work[connected[op.modes[0].machine]].append(i)
    loads = []
    for machines, operations in work.items():
        capacity = sum(problem.machines[m].capacity for m in machines)
        load = (
            min(head[i] for i in operations)
            + sum(shortest[i] for i in operations) / capacity
            + min(tail[i] for i in operations)
        )
        loads.append((load, min(operations), operations))
    loads.sort(key=lambda entry: (-entry[0], entry[1]))
    if not loads:
        return []
    most = loads[0][0]
    return [ops for load, _, ops in loads[:_CANDIDATES] if load >= (1 - _CANDIDATE_LOAD) * most]


def _relaxed_starts(
    problem: Problem, work: list[int], head: list[int], tail: list[int], shortest: list[int]
) -> dict[int, int]:
    """A list schedule of ``work`` alone: whenever a unit of capacity frees up, the
    released operation with the least latest start goes to the mode that ends first.
    Unit capacity slots stand for batch machines; changeovers and windows are left out."""
    jobs = problem.jobs
    free: dict[int, list[int]] = {}  # machine -> end of each capacity unit's last booking
    for i in work:
        for mode in problem.operations[i].modes:
            free.setdefault(mode.machine, [0] * problem.machines[mode.machine].capacity)

    def latest_start(i: int) -> int:
        job = jobs[problem.operations[i].job]
        if job.due is None or job.weight <= 0:
            return _NO_DUE
        return job.due - tail[i] - shortest[i]

    waiting = sorted(work, key=lambda i: head[i])
    ready: list[tuple[int, int, int]] = []
    starts: dict[int, int] = {}
    now, k = 0, 0
    while len(starts) < len(work):
        while k < len(waiting) and head[waiting[k]] <= now:
            i = waiting[k]
            heapq.heappush(ready, (latest_start(i), head[i], i))
            k += 1
        if not ready:
            now = head[waiting[k]]
            continue
        _, _, i = heapq.heappop(ready)
        best: tuple[int, int, int, int] | None = None  # end, start, machine, unit
        for mode in problem.operations[i].modes:
            units = free[mode.machine]
            unit = min(range(len(units)), key=units.__getitem__)
            start = max(head[i], units[unit])
            if best is None or start + mode.duration < best[0]:
                best = (start + mode.duration, start, mode.machine, unit)
        assert best is not None
        end, start, machine, unit = best
        free[machine][unit] = end
        starts[i] = start
        # The next decision is due when the earliest unit of capacity frees up.
        now = max(now, min(min(units) for units in free.values()))
    return starts
