"""A makespan lower bound from the problem alone, in milliseconds, before any search.

CP-SAT proves bounds well on small instances, but on a large factory its presolve
alone takes most of a minute, and until then the only bound ``solve`` has is the
plan origin. This bound needs no solver:

- **Chains**: every operation waits for its release and for the shortest chain of
  predecessors before it (their shortest modes, delays and least transport), and is
  followed by the shortest chain after it. ``head + duration + tail`` of any
  operation bounds the makespan.
- **Machine groups** (head-load-tail): for a set of machines and the operations that
  can only run there, no schedule finishes that work before the smallest head among
  them, plus their least total work divided by the group's capacity, plus the
  smallest tail among them. Taking every suffix of the operations sorted by head
  tightens it (late-released work cannot fill early idle time). Groups are every
  distinct set of eligible machines and the union of each connected set of them
  (machines that share an operation, transitively: a module kind on a factory).
- **Assignment LP** (per connected group): the least-work bound assumes every
  operation gets its fastest machine; on a factory whose fast modules are shared by
  many steps they cannot all. A linear program (GLOP) splits each operation over its
  modes to balance the group's machines, each machine's work within its own window,
  ``load(machine) <= capacity * (C - least head - least tail)``, head and tail the
  least among the operations that may run on it; its least ``C`` is a bound too. It
  is the load reasoning CP-SAT's LP does, without waiting for CP-SAT's presolve.
- **Throughput** (``flow_bound``, per connected group, forward and mirrored in
  time): a group cannot start work its feeding group cannot have finished yet; the
  work not started by a time runs after it. Mirrored, it is the same for the end of
  the plan (work whose successors still need the time after it).

Changeovers, availability windows and frozen operations' machine time are left out,
which only lowers the bound: it stays valid. Frozen operations keep their fixed
start as head.
"""

from __future__ import annotations

import math
from collections import defaultdict

# GLOP's Python wrapper ships no type information (CP-SAT's does).
from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]

from pnp.scheduler.flow_bound import Flow, chosen_feeders, throughput_bound
from pnp.scheduler.problem import Problem

# The assignment LP is skipped on groups with more mode variables than this (it is
# meant to take tens of milliseconds, not seconds, in front of the first plan).
_LP_MODES = 40_000


def makespan_lower_bound(problem: Problem) -> int:
    """A makespan no schedule of ``problem`` can beat (0 for an empty problem)."""
    n = len(problem.operations)
    if n == 0:
        return 0
    shortest = [min(mode.duration for mode in op.modes) for op in problem.operations]
    head, tail = heads_and_tails(problem, shortest)
    bound = max(head[i] + shortest[i] + tail[i] for i in range(n))
    connected = connected_machines(problem)
    groups = _machine_groups(problem, connected)
    for machines, operations in groups.items():
        capacity = sum(problem.machines[m].capacity for m in machines)
        bound = max(bound, _head_load_tail(operations, head, tail, shortest, capacity))
    # The groups no other group contains: the connected union each group lies in.
    for machines in {connected[next(iter(g))] for g in groups}:
        operations = groups[machines]
        if len(machines) > 1 and operations:
            balanced = _balanced_load(problem, operations, head, tail)
            if balanced is not None:
                bound = max(bound, balanced)
    for flow in _flows(problem, connected, shortest, head, tail):
        bound = max(bound, throughput_bound(flow, horizon=bound))
    return bound


def _flows(
    problem: Problem,
    connected: list[frozenset[int]],
    shortest: list[int],
    head: list[int],
    tail: list[int],
) -> tuple[Flow, Flow]:
    """The problem for ``throughput_bound``, forward and mirrored in time."""
    n = len(problem.operations)
    live = [op.frozen is None for op in problem.operations]
    predecessors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    successors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for p in problem.precedences:
        if live[p.before] and live[p.after]:  # a frozen end counts as always finished
            seconds = p.min_delay + _least_transport(problem, p.before, p.after)
            predecessors[p.after].append((p.before, seconds))
            successors[p.before].append((p.after, seconds))
    components = sorted(set(connected), key=min)
    index = {machines: g for g, machines in enumerate(components)}
    group = [index[connected[op.modes[0].machine]] for op in problem.operations]
    capacity = [sum(problem.machines[m].capacity for m in machines) for machines in components]
    feeder, wait = chosen_feeders(predecessors, lambda p, w: head[p] + shortest[p] + w)
    forward = Flow(shortest, head, tail, feeder, wait, group, capacity, live)
    feeder, wait = chosen_feeders(successors, lambda s, w: tail[s] + shortest[s] + w)
    mirrored = Flow(shortest, tail, head, feeder, wait, group, capacity, live)
    return forward, mirrored


def _balanced_load(
    problem: Problem, operations: list[int], head: list[int], tail: list[int]
) -> int | None:
    """The least makespan C with every operation split over its modes and every
    machine's work within its window: from the least head to C less the least tail
    among the operations that may run there (``capacity * (C - head - tail)``),
    rounded up; None if the LP is too large or fails. The window is per machine, not
    per group: a module that only late work can use starts late."""
    if sum(len(problem.operations[i].modes) for i in operations) > _LP_MODES:
        return None
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    longest = sum(max(m.duration for m in problem.operations[i].modes) for i in operations)
    latest = max(head[i] + tail[i] for i in operations)
    c = solver.NumVar(0, longest + latest, "C")
    work: dict[int, list[object]] = defaultdict(list)
    opens: dict[int, int] = {}  # machine -> least head of the work it may take
    closes: dict[int, int] = {}  # machine -> least tail of that work
    for i in operations:
        shares = []
        for k, mode in enumerate(problem.operations[i].modes):
            x = solver.NumVar(0, 1, f"x_{i}_{k}")
            shares.append(x)
            if mode.duration:
                work[mode.machine].append(mode.duration * x)
                opens[mode.machine] = min(opens.get(mode.machine, head[i]), head[i])
                closes[mode.machine] = min(closes.get(mode.machine, tail[i]), tail[i])
        solver.Add(solver.Sum(shares) == 1)
    for machine, terms in work.items():
        window = c - opens[machine] - closes[machine]
        solver.Add(solver.Sum(terms) <= problem.machines[machine].capacity * window)
    solver.Minimize(c)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    # GLOP works in floating point: round down a hair before rounding up.
    value = float(c.solution_value())
    return math.ceil(value - 1e-5 * max(1.0, value))


def heads_and_tails(problem: Problem, shortest: list[int]) -> tuple[list[int], list[int]]:
    """Per operation, the least time before it can start (release, then the shortest
    chain of predecessors, delays and least transport) and the least after it ends."""
    n = len(problem.operations)
    successors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    indegree = [0] * n
    for p in problem.precedences:
        if problem.operations[p.before].frozen and problem.operations[p.after].frozen:
            continue  # history: both started, whatever the edge asked for (as in the model)
        wait = p.min_delay + _least_transport(problem, p.before, p.after)
        successors[p.before].append((p.after, wait))
        indegree[p.after] += 1
    head = [
        op.frozen.start if op.frozen is not None else max(0, problem.jobs[op.job].release)
        for op in problem.operations
    ]
    order = [i for i in range(n) if indegree[i] == 0]
    for i in order:  # the list grows while we walk it
        for j, wait in successors[i]:
            if problem.operations[j].frozen is None:
                head[j] = max(head[j], head[i] + shortest[i] + wait)
            indegree[j] -= 1
            if indegree[j] == 0:
                order.append(j)
    tail = [0] * n
    for i in reversed(order):
        tail[i] = max((wait + shortest[j] + tail[j] for j, wait in successors[i]), default=0)
    return head, tail


def _least_transport(problem: Problem, before: int, after: int) -> int:
    if problem.transport is None:
        return 0
    return min(
        problem.transport[a.machine][b.machine]
        for a in problem.operations[before].modes
        for b in problem.operations[after].modes
    )


def connected_machines(problem: Problem) -> list[frozenset[int]]:
    """Per machine, the machines connected to it by operations that may run on both
    (union-find over each operation's modes)."""
    parent = list(range(len(problem.machines)))

    def root(m: int) -> int:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for op in problem.operations:
        first, *others = (mode.machine for mode in op.modes)
        for m in others:
            parent[root(m)] = root(first)
    members: dict[int, set[int]] = defaultdict(set)
    for m in range(len(problem.machines)):
        members[root(m)].add(m)
    return [frozenset(members[root(m)]) for m in range(len(problem.machines))]


def _machine_groups(
    problem: Problem, connected: list[frozenset[int]]
) -> dict[frozenset[int], list[int]]:
    """Each distinct eligible-machine set and each connected union of them
    (``connected``: per machine, its union), with the operations whose every mode
    lies inside."""
    sets = {frozenset(mode.machine for mode in op.modes) for op in problem.operations}
    groups = sets | {connected[next(iter(machines))] for machines in sets}
    inside: dict[frozenset[int], list[int]] = {g: [] for g in groups}
    by_machine: dict[int, list[frozenset[int]]] = defaultdict(list)
    for g in groups:
        for m in g:
            by_machine[m].append(g)
    for i, op in enumerate(problem.operations):
        machines = frozenset(mode.machine for mode in op.modes)
        some = next(iter(machines))
        for g in by_machine[some]:
            if machines <= g:
                inside[g].append(i)
    return inside


def _head_load_tail(
    operations: list[int],
    head: list[int],
    tail: list[int],
    shortest: list[int],
    capacity: int,
) -> int:
    """max over k of head_k + ceil(work of operations with head >= head_k / capacity)
    + least tail among them, operations sorted by head."""
    ordered = sorted(operations, key=lambda i: head[i])
    best = 0
    work = 0
    least_tail = None
    for i in reversed(ordered):
        work += shortest[i]
        least_tail = tail[i] if least_tail is None else min(least_tail, tail[i])
        best = max(best, head[i] + -(-work // capacity) + least_tail)
    return best
