"""A fast dispatch heuristic: a complete schedule in one greedy pass.

It serves three purposes: the first plan (in milliseconds to a second, long before
CP-SAT finds one on large factories), the hint CP-SAT starts from, and the fallback
when CP-SAT finds nothing in its time.

Serial schedule generation: frozen operations are booked first; then, repeatedly,
among the operations whose predecessors are all placed, the one with the smallest
key goes to the mode chosen for it, at the earliest time that machine allows
(precedence delays, transport from each predecessor's machine, release, availability,
capacity, changeovers). Keys:

- replanning: the operation's previous start, so the previous plan's order survives;
- otherwise: earliest possible start (no machine idles when work could run), then
  least slack to the job's due date, then most work left in the job.

Modes: the one that ends first; when replanning (plan stability is an objective and
there is a previous plan), the previous machine whenever it can still take the
operation, since the old plan's assignment is the best guess we have and moving work
is what stability counts. CP-SAT moves work when that shortens the plan.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

from pnp.scheduler.heuristics.timeline import MachineTimeline
from pnp.scheduler.problem import Objective, Problem
from pnp.scheduler.result import ScheduledOperation

# Larger than any due date we can meet; jobs without a due date sort after all others.
_NO_DUE = 2**60
# A mode as the dispatcher keeps it: machine, duration, family, the machine's timeline
# and its earliest_start.
_Mode = tuple[int, int, str | None, MachineTimeline, Callable[[int, int, str | None], int | None]]


def dispatch(
    problem: Problem, boosts: Sequence[float] | None = None
) -> tuple[ScheduledOperation, ...] | None:
    """A feasible schedule of a validated problem, or None if the greedy pass gets stuck.

    ``boosts`` (seconds, per job) let a job's operations go ahead of others that could
    start up to that much earlier; ``squeaky_wheel`` raises them for late jobs.
    """
    return _Dispatcher(problem, boosts).run()


class _Dispatcher:
    """One greedy pass. On a 10,000-operation factory the heap of ready operations is
    re-ranked about 180,000 times, so the state is kept in flat per-operation lists
    (what never changes is computed once up front) and each machine's answer for an
    operation is kept until that machine gets a new booking (``MachineTimeline.version``):
    re-ranking after a booking asks only the machine that changed."""

    def __init__(self, problem: Problem, boosts: Sequence[float] | None) -> None:
        self.problem = problem
        operations = problem.operations
        n = len(operations)
        self.predecessors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.successors: list[list[int]] = [[] for _ in range(n)]
        for p in problem.precedences:
            self.predecessors[p.after].append((p.before, p.min_delay))
            self.successors[p.before].append(p.after)
        self.work_left = _work_left(problem, self.successors)
        jobs = problem.jobs
        self.release = [max(0, jobs[op.job].release) for op in operations]
        # The key's parts that never change: the job's due date and boost.
        job_due = [job.due if job.due is not None and job.weight > 0 else _NO_DUE for job in jobs]
        # The slack is due - start - work left: the start's partner, per operation.
        self.due_less_work = [
            job_due[op.job] - left for op, left in zip(operations, self.work_left, strict=True)
        ]
        self.boost = [0.0 if boosts is None else boosts[op.job] for op in operations]
        self.timelines = [MachineTimeline(m) for m in problem.machines]
        # Per mode: machine, duration, family, the machine's timeline and its question.
        asks = [timeline.earliest_start for timeline in self.timelines]
        self.modes = [
            tuple(
                (
                    mode.machine,
                    mode.duration,
                    mode.family,
                    self.timelines[mode.machine],
                    asks[mode.machine],
                )
                for mode in op.modes
            )
            for op in operations
        ]
        previous = problem.previous_plan or (None,) * n
        # Replanning keys by the previous start and (for stability) keeps the machine.
        self.previous_start = [None if p is None else p.start for p in previous]
        self.previous_machine = [-1 if p is None else p.machine for p in previous]
        self.keep_machines = Objective.PLAN_STABILITY in problem.objectives

    def run(self) -> tuple[ScheduledOperation, ...] | None:
        problem = self.problem
        n = len(problem.operations)
        timelines = self.timelines
        predecessors, successors = self.predecessors, self.successors
        modes_of, release, boost = self.modes, self.release, self.boost
        due_less_work = self.due_less_work
        work_left = self.work_left
        previous_start, previous_machine = self.previous_start, self.previous_machine
        keep_machines = self.keep_machines
        transport = problem.transport

        placed_machine = [-1] * n  # -1: not placed yet
        placed_start = [0] * n
        placed_end = [0] * n
        for i, op in enumerate(problem.operations):
            if op.frozen is not None:
                mode = op.modes_on(op.frozen.machine)[0]
                start = op.frozen.start
                placed_machine[i], placed_start[i] = mode.machine, start
                placed_end[i] = start + mode.duration
                timelines[mode.machine].book(start, start + mode.duration, mode.family)
        waiting = [
            sum(1 for before, _ in predecessors[i] if placed_machine[before] < 0) for i in range(n)
        ]
        # Per ready operation and mode: when its input is there on that machine (fixed
        # once its predecessors are placed), the machine's earliest start for it and
        # the machine's version that answer holds for.
        mode_ready: list[list[int]] = [[] for _ in range(n)]
        mode_start: list[list[int | None]] = [[] for _ in range(n)]
        mode_version: list[list[int]] = [[] for _ in range(n)]
        # The chosen option of each ready operation: mode index, start, end.
        chosen_mode = [0] * n
        chosen_start = [0] * n
        chosen_end = [0] * n
        # Heap of (key..., operation, version): smallest key first (planned or earliest
        # start less the job's boost, slack to the due date, minus the work left after
        # it); an entry is stale when the operation was re-ranked since.
        heap: list[tuple[float, int, int, int, int]] = []
        versions = [0] * n
        by_machine: list[set[int]] = [set() for _ in problem.machines]
        push = heapq.heappush

        def consider(i: int) -> bool:
            modes = modes_of[i]
            readies = mode_ready[i]
            if not readies:
                readies = mode_ready[i] = _ready_per_mode(
                    release[i], predecessors[i], modes, placed_machine, placed_end, transport
                )
                mode_start[i] = [None] * len(modes)
                mode_version[i] = [-1] * len(modes)
            starts, seen = mode_start[i], mode_version[i]
            stayed = previous_machine[i]
            best_mode, best_start, best_end = -1, 0, 0
            best_rank: tuple[bool, int, int, bool] | None = None
            for k, (machine, duration, family, timeline, earliest_start) in enumerate(modes):
                version = timeline.version
                if seen[k] != version:
                    # Where the earliest start can only move later, it is found from
                    # the last answer on: a shorter scan, the same answer.
                    if seen[k] < 0 or not timeline.monotone:
                        starts[k] = earliest_start(readies[k], duration, family)
                    elif (known := starts[k]) is not None:
                        starts[k] = earliest_start(known, duration, family)
                    seen[k] = version
                start = starts[k]
                if start is None:
                    continue
                end = start + duration
                if stayed < 0:  # no previous machine: the mode that ends first
                    if best_mode < 0 or end < best_end or (end == best_end and start < best_start):
                        best_mode, best_start, best_end = k, start, end
                    continue
                # Replanning: the same, the previous machine winning ties; for stability,
                # the previous machine whenever it can still take the operation.
                stays = stayed == machine
                rank = (not (stays and keep_machines), end, start, not stays)
                if best_rank is None or rank < best_rank:
                    best_rank, best_mode, best_start, best_end = rank, k, start, end
            if best_mode < 0:
                return False
            start = best_start
            chosen_mode[i], chosen_start[i], chosen_end[i] = best_mode, start, best_end
            versions[i] += 1
            by_machine[modes[best_mode][0]].add(i)
            planned = previous_start[i]
            first = (start if planned is None else planned) - boost[i]
            push(heap, (first, due_less_work[i] - start, -work_left[i], i, versions[i]))
            return True

        for i, op in enumerate(problem.operations):
            if op.frozen is None and waiting[i] == 0 and not consider(i):
                return None
        pop = heapq.heappop
        while heap:
            _, _, _, i, version = pop(heap)
            if placed_machine[i] >= 0 or version != versions[i]:
                continue
            machine, _, family, timeline, _ = modes_of[i][chosen_mode[i]]
            start, end = chosen_start[i], chosen_end[i]
            candidates = by_machine[machine]
            candidates.discard(i)
            placed_machine[i], placed_start[i], placed_end[i] = machine, start, end
            timeline.book(start, end, family)
            # Only operations whose chosen machine just got busier can have a worse
            # option now; every other machine's answers are unchanged. On that machine,
            # a booking clear of an operation's chosen slot leaves the slot free, and
            # still the earliest (bookings only take time away), unless the machine
            # appends only (its next start follows the last booking's changeover).
            appends_only = timeline.appends_only
            for other in tuple(candidates):
                if not appends_only and (chosen_end[other] < start or end < chosen_start[other]):
                    continue
                candidates.discard(other)
                if not consider(other):
                    return None
            for after in successors[i]:
                waiting[after] -= 1
                if waiting[after] == 0 and placed_machine[after] < 0 and not consider(after):
                    return None
        if min(placed_machine, default=0) < 0:
            return None
        return tuple(
            ScheduledOperation(i, placed_machine[i], placed_start[i], placed_end[i])
            for i in range(n)
        )


def _ready_per_mode(
    release: int,
    predecessors: list[tuple[int, int]],
    modes: tuple[_Mode, ...],
    placed_machine: list[int],
    placed_end: list[int],
    transport: tuple[tuple[int, ...], ...] | None,
) -> list[int]:
    """Per mode: the earliest its input is there (release, every predecessor's end,
    delay and transport from the predecessor's machine to the mode's)."""
    if transport is None:
        ready = release
        for before, delay in predecessors:
            ready = max(ready, placed_end[before] + delay)
        return [ready] * len(modes)
    readies = []
    for machine, _, _, _, _ in modes:
        ready = release
        for before, delay in predecessors:
            ready = max(
                ready, placed_end[before] + delay + transport[placed_machine[before]][machine]
            )
        readies.append(ready)
    return readies


def _work_left(problem: Problem, successors: list[list[int]]) -> list[int]:
    """Per operation: its shortest duration plus the longest such chain after it."""
    n = len(problem.operations)
    shortest = [min(m.duration for m in op.modes) for op in problem.operations]
    order = _topological_order(n, successors)
    left = [0] * n
    for i in reversed(order):
        left[i] = shortest[i] + max((left[j] for j in successors[i]), default=0)
    return left


def _topological_order(n: int, successors: list[list[int]]) -> list[int]:
    indegree = [0] * n
    for i in range(n):
        for j in successors[i]:
            indegree[j] += 1
    order = [i for i in range(n) if indegree[i] == 0]
    for i in order:  # the list grows while we walk it
        for j in successors[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                order.append(j)
    return order
