"""A schedule as machine assignment plus one sequence per machine, and its timing.

The classic disjunctive-graph view of a job shop: precedence arcs (with delay and
transport) plus one arc between consecutive operations on each machine (with the
changeover). Given an assignment and sequences, the earliest start of every
operation ("head") and the longest path after it ("tail") follow in one pass each;
their sum over the longest path is the makespan, and operations on it are critical:
only moving those can shorten the schedule. ``local_search`` is built on this.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation


@dataclass
class Sequencing:
    """Mutable: which mode each operation uses and the order on each machine."""

    machine: list[int]
    duration: list[int]
    family: list[str | None]
    sequences: list[list[int]]  # per machine, operation indices in order

    def copy(self) -> Sequencing:
        return Sequencing(
            list(self.machine),
            list(self.duration),
            list(self.family),
            [list(s) for s in self.sequences],
        )


@dataclass(frozen=True)
class Timing:
    head: list[int]  # earliest start
    tail: list[int]  # longest path from the operation's end to the end of the schedule
    rank: list[int]  # position in a topological order of the graph
    previous: list[int]  # operation before it on its machine, -1 if first
    next: list[int]  # operation after it on its machine, -1 if last
    makespan: int


class DisjunctiveGraph:
    """The fixed part of the graph (precedences, releases, transport, changeovers)."""

    def __init__(self, problem: Problem) -> None:
        n = len(problem.operations)
        self.problem = problem
        self.release = [max(0, problem.jobs[op.job].release) for op in problem.operations]
        self.predecessors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.successors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for p in problem.precedences:
            self.predecessors[p.after].append((p.before, p.min_delay))
            self.successors[p.before].append((p.after, p.min_delay))
        self.transport = problem.transport
        # Per machine, changeover seconds by (from family, to family); None when it has none.
        self.setups: list[dict[tuple[str, str], int] | None] = [
            {(c.from_family, c.to_family): c.seconds for c in m.changeovers}
            if m.has_changeovers
            else None
            for m in problem.machines
        ]
        self._precedence_count = [len(p) for p in self.predecessors]
        # Neither transport nor changeovers: timing takes its fast path.
        self._plain = self.transport is None and all(t is None for t in self.setups)

    def sequencing_of(self, schedule: tuple[ScheduledOperation, ...]) -> Sequencing:
        problem = self.problem
        machine, duration, family = [], [], []
        sequences: list[list[int]] = [[] for _ in problem.machines]
        for s in schedule:
            mode = next(
                m
                for m in problem.operations[s.operation].modes
                if m.machine == s.machine and m.duration == s.end - s.start
            )
            machine.append(s.machine)
            duration.append(mode.duration)
            family.append(mode.family)
        for s in sorted(schedule, key=lambda s: (s.start, s.end, s.operation)):
            sequences[s.machine].append(s.operation)
        return Sequencing(machine, duration, family, sequences)

    def lag(self, machine_from: int, machine_to: int, delay: int) -> int:
        """Wait on a precedence edge between operations on the two machines."""
        if self.transport is None:
            return delay
        return delay + self.transport[machine_from][machine_to]

    def setup(self, machine: int, family_from: str | None, family_to: str | None) -> int:
        table = self.setups[machine]
        if table is None or family_from is None or family_to is None:
            return 0
        return table.get((family_from, family_to), 0)

    def timing(self, s: Sequencing) -> Timing | None:
        """Heads, tails and makespan; None when the sequences contradict the precedences."""
        n = len(s.machine)
        previous, following = [-1] * n, [-1] * n
        for sequence in s.sequences:
            for a, b in itertools.pairwise(sequence):
                following[a], previous[b] = b, a
        indegree = list(self._precedence_count)
        for b in range(n):
            if previous[b] >= 0:
                indegree[b] += 1
        order = [i for i in range(n) if indegree[i] == 0]
        if self._plain:
            head, tail = self._plain_heads_and_tails(s, order, indegree, following)
        else:
            head, tail = self._heads_and_tails(s, order, indegree, following)
        if len(order) < n:
            return None  # a cycle: a machine order contradicts a precedence
        rank = [0] * n
        for position, i in enumerate(order):
            rank[i] = position
        duration = s.duration
        makespan = max((head[i] + duration[i] for i in range(n)), default=0)
        return Timing(head, tail, rank, previous, following, makespan)

    def _plain_heads_and_tails(
        self, s: Sequencing, order: list[int], indegree: list[int], following: list[int]
    ) -> tuple[list[int], list[int]]:
        """``_heads_and_tails`` without transport and changeovers: the local search's
        hot loop on plain job shops, without their lookups."""
        successors, duration = self.successors, s.duration
        head = list(self.release)
        for i in order:  # the list grows while we walk it
            end = head[i] + duration[i]
            for j, delay in successors[i]:
                if head[j] < end + delay:
                    head[j] = end + delay
                indegree[j] -= 1
                if indegree[j] == 0:
                    order.append(j)
            j = following[i]
            if j >= 0:
                if head[j] < end:
                    head[j] = end
                indegree[j] -= 1
                if indegree[j] == 0:
                    order.append(j)
        tail = [0] * len(head)
        if len(order) < len(head):
            return head, tail
        for i in reversed(order):
            longest = 0
            for j, delay in successors[i]:
                t = delay + duration[j] + tail[j]
                if t > longest:
                    longest = t
            j = following[i]
            if j >= 0:
                t = duration[j] + tail[j]
                if t > longest:
                    longest = t
            tail[i] = longest
        return head, tail

    def _heads_and_tails(
        self, s: Sequencing, order: list[int], indegree: list[int], following: list[int]
    ) -> tuple[list[int], list[int]]:
        """Earliest starts (walking ``order``, a topological order it completes) and
        tails; ``order`` stays short of every operation when there is a cycle."""
        head = list(self.release)
        # The hot loop of the local search: lookups are bound to locals.
        transport, setups, successors = self.transport, self.setups, self.successors
        machine, duration, family = s.machine, s.duration, s.family
        for i in order:  # the list grows while we walk it
            end = head[i] + duration[i]
            for j, delay in successors[i]:
                t = end + delay
                if transport is not None:
                    t += transport[machine[i]][machine[j]]
                if head[j] < t:
                    head[j] = t
                indegree[j] -= 1
                if indegree[j] == 0:
                    order.append(j)
            j = following[i]
            if j >= 0:
                t = end
                if setups[machine[i]] is not None:
                    t += self.setup(machine[i], family[i], family[j])
                if head[j] < t:
                    head[j] = t
                indegree[j] -= 1
                if indegree[j] == 0:
                    order.append(j)
        tail = [0] * len(head)
        if len(order) < len(head):
            return head, tail
        for i in reversed(order):
            longest = 0
            for j, delay in successors[i]:
                t = delay + duration[j] + tail[j]
                if transport is not None:
                    t += transport[machine[i]][machine[j]]
                if t > longest:
                    longest = t
            j = following[i]
            if j >= 0:
                t = duration[j] + tail[j]
                if setups[machine[i]] is not None:
                    t += self.setup(machine[i], family[i], family[j])
                if t > longest:
                    longest = t
            tail[i] = longest
        return head, tail

    def schedule(self, s: Sequencing, timing: Timing) -> tuple[ScheduledOperation, ...]:
        return tuple(
            ScheduledOperation(i, s.machine[i], timing.head[i], timing.head[i] + s.duration[i])
            for i in range(len(s.machine))
        )
