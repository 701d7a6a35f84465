"""Turn a known schedule into CP-SAT solution hints.

A complete, feasible hint lets CP-SAT start from that schedule at once (it checks the
hint before searching), so a heuristic's plan or the previous plan becomes its first
solution, and the large-neighbourhood workers improve from there.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from pnp.scheduler.model.variables import DEPOT, ModeRef, Variables
from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation


def add_schedule_hint(
    model: cp_model.CpModel,
    problem: Problem,
    variables: Variables,
    schedule: Sequence[ScheduledOperation],
) -> None:
    model.clear_hints()
    chosen: dict[int, int] = {}
    for s in schedule:
        i = s.operation
        op = problem.operations[i]
        chosen[i] = next(
            m
            for m, mode in enumerate(op.modes)
            if mode.machine == s.machine and mode.duration == s.end - s.start
        )
        model.add_hint(variables.starts[i], s.start)
        model.add_hint(variables.ends[i], s.end)
        for m, mv in enumerate(variables.modes[i]):
            model.add_hint(mv.presence, m == chosen[i])
    model.add_hint(variables.makespan, max(s.end for s in schedule))
    completion: dict[int, int] = {}
    for s in schedule:
        job = problem.operations[s.operation].job
        completion[job] = max(completion.get(job, s.end), s.end)
    for j, tardiness in variables.tardiness.items():
        model.add_hint(tardiness, max(0, completion[j] - (problem.jobs[j].due or 0)))
    for machine, arcs in variables.sequences.items():
        ordered = sorted(
            (s for s in schedule if s.machine == machine), key=lambda s: (s.start, s.end)
        )
        path: list[ModeRef] = [DEPOT, *((s.operation, chosen[s.operation]) for s in ordered)]
        used = set(zip(path, [*path[1:], DEPOT], strict=True)) if ordered else {(DEPOT, DEPOT)}
        present = set(path)
        for (a, b), literal in arcs.items():
            is_loop_of_absent = a == b and a not in present
            model.add_hint(literal, (a, b) in used or is_loop_of_absent)
