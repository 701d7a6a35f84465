"""An exhaustive reference solver for tiny problems, to check optimality claims.

Both objectives are regular (never better when something finishes later), so an
optimum exists among semi-active schedules: fix a mode per operation and an order
of operations consistent with the precedences, then start each operation as early
as its release, predecessors (with delay and transport) and the previous operation
on its machine allow. Enumerating every order and mode choice finds the optimum.
"""

from __future__ import annotations

import itertools

from pnp.scheduler import Problem


def best_tardiness_and_makespan(problem: Problem) -> tuple[int, int]:
    """The lexicographic optimum (weighted tardiness, makespan) by enumeration."""
    n = len(problem.operations)
    predecessors = [[p for p in problem.precedences if p.after == i] for i in range(n)]
    best: tuple[int, int] | None = None
    for order in itertools.permutations(range(n)):
        position = {op: k for k, op in enumerate(order)}
        if any(position[p.before] > position[p.after] for p in problem.precedences):
            continue
        for modes in itertools.product(*(op.modes for op in problem.operations)):
            value = _evaluate(problem, order, modes, predecessors)
            best = value if best is None or value < best else best
    assert best is not None
    return best


def _evaluate(problem, order, modes, predecessors) -> tuple[int, int]:
    end: dict[int, int] = {}
    machine_free: dict[int, int] = {}
    for i in order:
        job = problem.jobs[problem.operations[i].job]
        machine = modes[i].machine
        start = max(0, job.release, machine_free.get(machine, 0))
        for p in predecessors[i]:
            wait = p.min_delay
            if problem.transport is not None:
                wait += problem.transport[modes[p.before].machine][machine]
            start = max(start, end[p.before] + wait)
        end[i] = start + modes[i].duration
        machine_free[machine] = end[i]
    completion: dict[int, int] = {}
    for i, e in end.items():
        j = problem.operations[i].job
        completion[j] = max(completion.get(j, 0), e)
    tardiness = sum(
        problem.jobs[j].weight * max(0, e - problem.jobs[j].due)
        for j, e in completion.items()
        if problem.jobs[j].due is not None
    )
    return tardiness, max(end.values(), default=0)
