"""Objective: weighted tardiness first, then makespan (lexicographic), in one solve.

We minimise ``tardiness_weight * sum(weight_j * tardiness_j) + makespan`` with
``tardiness_weight = horizon + 1``. The makespan lies in ``[0, horizon]``, so one unit
of weighted tardiness outweighs any makespan difference: the optimum of the sum is
exactly the lexicographic optimum. We chose this over two solves (tardiness, then
makespan with tardiness fixed) because a single solve keeps one anytime stream of
improving plans and one lower bound to report, and needs no guess at how to split
the time limit between phases. The price is large coefficients, which we check
against CP-SAT's integer range. With no scored job the objective is the makespan.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.model.variables import Variables
from scheduler.problem import Problem, ProblemError

# CP-SAT rejects models whose objective could overflow int64; stay well inside.
_MAX_OBJECTIVE = 2**62


def tardiness_weight(variables: Variables, horizon: int) -> int:
    """Coefficient of weighted tardiness in the objective (0 when nothing is scored)."""
    return horizon + 1 if variables.tardiness else 0


def add_tardiness_definitions(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> None:
    """tardiness_j >= end - due for each operation of job j.

    Only lower bounds: minimisation pushes each tardiness down to
    ``max(0, completion - due)``. The reported value is recomputed from the schedule,
    so a non-optimal solution with slack in these variables is never misreported.
    """
    for i, op in enumerate(problem.operations):
        tardiness = variables.tardiness.get(op.job)
        if tardiness is not None:
            due = problem.jobs[op.job].due
            assert due is not None
            model.add(tardiness >= variables.ends[i] - due)


def set_objective(
    model: cp_model.CpModel, problem: Problem, variables: Variables, horizon: int
) -> None:
    weight = tardiness_weight(variables, horizon)
    weighted = [problem.jobs[j].weight * t for j, t in variables.tardiness.items()]
    # Each tardiness is at most horizon - due (see variables.create_variables).
    largest = horizon + weight * sum(
        problem.jobs[j].weight * max(0, horizon - (problem.jobs[j].due or 0))
        for j in variables.tardiness
    )
    if largest > _MAX_OBJECTIVE:
        raise ProblemError(
            f"objective could reach {largest}, beyond CP-SAT's integer range: the horizon "
            f"is {horizon} seconds; use coarser time units or smaller job weights"
        )
    model.minimize(weight * sum(weighted) + variables.makespan)
