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
from collections.abc import Sequence
from dataclasses import dataclass

from pnp.scheduler.heuristics.timeline import MachineTimeline
from pnp.scheduler.problem import Mode, Objective, Problem
from pnp.scheduler.result import ScheduledOperation

# Larger than any due date we can meet; jobs without a due date sort after all others.
_NO_DUE = 2**60
# Priority of an operation ready to place, smallest first: planned or earliest start
# (less the job's boost), slack to its due date, minus the work left after it.
_Key = tuple[float, int, int]


@dataclass(frozen=True)
class _Option:
    start: int
    end: int
    mode: Mode


def dispatch(
    problem: Problem, boosts: Sequence[float] | None = None
) -> tuple[ScheduledOperation, ...] | None:
    """A feasible schedule of a validated problem, or None if the greedy pass gets stuck.

    ``boosts`` (seconds, per job) let a job's operations go ahead of others that could
    start up to that much earlier; ``squeaky_wheel`` raises them for late jobs.
    """
    return _Dispatcher(problem, boosts).run()


class _Dispatcher:
    def __init__(self, problem: Problem, boosts: Sequence[float] | None) -> None:
        self.problem = problem
        self.boosts = boosts
        n = len(problem.operations)
        self.predecessors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.successors: list[list[int]] = [[] for _ in range(n)]
        for p in problem.precedences:
            self.predecessors[p.after].append((p.before, p.min_delay))
            self.successors[p.before].append(p.after)
        self.timelines = [MachineTimeline(m) for m in problem.machines]
        self.placed: dict[int, ScheduledOperation] = {}
        self.work_left = _work_left(problem, self.successors)
        self.keep_machines = Objective.PLAN_STABILITY in problem.objectives

    def run(self) -> tuple[ScheduledOperation, ...] | None:
        problem = self.problem
        for i, op in enumerate(problem.operations):
            if op.frozen is not None:
                mode = op.modes_on(op.frozen.machine)[0]
                self._place(i, _Option(op.frozen.start, op.frozen.start + mode.duration, mode))
        waiting = [
            sum(1 for before, _ in self.predecessors[i] if before not in self.placed)
            for i in range(len(problem.operations))
        ]
        # Heap of (key, operation, version); an operation's entry is stale when its
        # cached option was recomputed after a booking on the machine it had chosen.
        heap: list[tuple[_Key, int, int]] = []
        options: dict[int, _Option] = {}
        versions: dict[int, int] = {}
        by_machine: dict[int, set[int]] = {}

        def consider(i: int) -> bool:
            option = self._best_option(i)
            if option is None:
                return False
            options[i] = option
            versions[i] = versions.get(i, 0) + 1
            by_machine.setdefault(option.mode.machine, set()).add(i)
            heapq.heappush(heap, (self._key(i, option), i, versions[i]))
            return True

        for i, op in enumerate(problem.operations):
            if op.frozen is None and waiting[i] == 0 and not consider(i):
                return None
        while heap:
            _, i, version = heapq.heappop(heap)
            if i in self.placed or version != versions[i]:
                continue
            option = options.pop(i)
            by_machine[option.mode.machine].discard(i)
            self._place(i, option)
            # Only operations whose chosen machine just got busier can have a worse
            # option now; every other machine's answers are unchanged. On that machine,
            # a booking clear of an operation's chosen slot leaves the slot free, and
            # still the earliest (bookings only take time away), unless the machine
            # appends only (its next start follows the last booking's changeover).
            machine = option.mode.machine
            appends_only = self.timelines[machine].appends_only
            for other in list(by_machine.get(machine, ())):
                chosen = options[other]
                if not appends_only and (chosen.end < option.start or option.end < chosen.start):
                    continue
                by_machine[machine].discard(other)
                if not consider(other):
                    return None
            for after in self.successors[i]:
                waiting[after] -= 1
                if waiting[after] == 0 and after not in self.placed and not consider(after):
                    return None
        if len(self.placed) < len(problem.operations):
            return None
        return tuple(self.placed[i] for i in range(len(problem.operations)))

    def _place(self, i: int, option: _Option) -> None:
        self.placed[i] = ScheduledOperation(i, option.mode.machine, option.start, option.end)
        self.timelines[option.mode.machine].book(option.start, option.end, option.mode.family)

    def _ready(self, i: int, machine: int) -> int:
        problem = self.problem
        ready = max(0, problem.jobs[problem.operations[i].job].release)
        for before, delay in self.predecessors[i]:
            placed = self.placed[before]
            ready = max(ready, placed.end + delay + problem.transport_time(placed.machine, machine))
        return ready

    def _best_option(self, i: int) -> _Option | None:
        op = self.problem.operations[i]
        previous = self.problem.previous_placement(i)
        best: tuple[tuple[bool, int, int, bool], _Option] | None = None
        for mode in op.modes:
            start = self.timelines[mode.machine].earliest_start(
                self._ready(i, mode.machine), mode.duration, mode.family
            )
            if start is None:
                continue
            stays = previous is not None and previous.machine == mode.machine
            rank = (
                not (stays and self.keep_machines),
                start + mode.duration,
                start,
                not stays,
            )
            if best is None or rank < best[0]:
                best = (rank, _Option(start, start + mode.duration, mode))
        return None if best is None else best[1]

    def _key(self, i: int, option: _Option) -> _Key:
        problem = self.problem
        previous = problem.previous_placement(i)
        job = problem.jobs[problem.operations[i].job]
        due = job.due if job.due is not None and job.weight > 0 else _NO_DUE
        slack = due - option.start - self.work_left[i]
        boost = 0.0 if self.boosts is None else self.boosts[problem.operations[i].job]
        if previous is not None:
            return (previous.start - boost, slack, -self.work_left[i])
        return (option.start - boost, slack, -self.work_left[i])


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
