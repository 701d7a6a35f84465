"""Objective: the ranked objectives of ``Problem.objectives`` (lexicographic), in one solve.

We minimise ``sum(weight_k * value_k)`` where each weight exceeds the largest value
everything ranked below it can add up to, so one unit of a higher-ranked objective
outweighs any change below it: the optimum of the sum is exactly the lexicographic
optimum. We chose this over one solve per objective because a single solve keeps one
anytime stream of improving plans and one lower bound to report, and needs no guess
at how to split the time limit between phases. The price is large coefficients,
which we check against CP-SAT's integer range.

An objective with nothing to measure (no due dates, no previous plan) gets weight 0
and adds no variable, so a plain makespan problem minimises exactly the makespan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from pnp.scheduler.model.variables import Variables, scored_jobs
from pnp.scheduler.problem import Objective, Problem, ProblemError

# CP-SAT rejects models whose objective could overflow int64; stay well inside.
_MAX_OBJECTIVE = 2**62


@dataclass(frozen=True)
class ObjectiveWeights:
    tardiness: int
    stability: int
    makespan: int

    def value(self, tardiness: int, moved: int, makespan: int) -> int:
        return self.tardiness * tardiness + self.stability * moved + self.makespan * makespan

    def of(self, objective: Objective) -> int:
        """The weight of one ranked objective (0: nothing to measure, or not ranked)."""
        return {
            Objective.WEIGHTED_TARDINESS: self.tardiness,
            Objective.PLAN_STABILITY: self.stability,
            Objective.MAKESPAN: self.makespan,
        }[objective]


def stability_candidates(problem: Problem) -> tuple[int, ...]:
    """Operations whose move off their previous machine counts against stability."""
    if Objective.PLAN_STABILITY not in problem.objectives or not problem.previous_plan:
        return ()
    return tuple(
        i
        for i, op in enumerate(problem.operations)
        if op.frozen is None and problem.previous_plan[i] is not None
    )


def objective_weights(problem: Problem, earliest: int, horizon: int) -> ObjectiveWeights:
    """Weights that make the ranking lexicographic, from each objective's range."""
    ranges = {
        Objective.WEIGHTED_TARDINESS: sum(
            problem.jobs[j].weight * max(0, horizon - (problem.jobs[j].due or 0))
            for j in scored_jobs(problem)
        ),
        Objective.PLAN_STABILITY: len(stability_candidates(problem)),
        Objective.MAKESPAN: horizon - earliest,
    }
    weights = dict.fromkeys(Objective, 0)
    below = 0  # the most that everything ranked lower can add to the objective
    for objective in reversed(problem.objectives):
        if objective is Objective.MAKESPAN or ranges[objective] > 0:
            weights[objective] = below + 1
            below += weights[objective] * ranges[objective]
    if below > _MAX_OBJECTIVE:
        raise ProblemError(
            f"objective could reach {below}, beyond CP-SAT's integer range: the horizon "
            f"is {horizon} seconds; use coarser time units or smaller job weights"
        )
    return ObjectiveWeights(
        tardiness=weights[Objective.WEIGHTED_TARDINESS],
        stability=weights[Objective.PLAN_STABILITY],
        makespan=weights[Objective.MAKESPAN],
    )


def add_tardiness_definitions(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> None:
    """``tardiness_j >= end_i - due_j`` for each operation of a scored job.

    With the variable's lower bound of 0, minimisation drives each one down to
    ``max(0, completion - due)``. The reported value is recomputed from the schedule,
    so a non-optimal solution with slack in these variables is never misreported.
    """
    for i, op in enumerate(problem.operations):
        tardiness = variables.tardiness.get(op.job)
        if tardiness is not None:
            due = problem.jobs[op.job].due
            assert due is not None
            model.add(tardiness >= variables.ends[i] - due)


def moved_expression(problem: Problem, variables: Variables) -> cp_model.LinearExpr | int:
    """Number of stability candidates not on their previous machine."""
    terms = []
    for i in stability_candidates(problem):
        previous = problem.previous_plan[i]
        assert previous is not None
        stays = [
            mv.presence
            for mode, mv in zip(problem.operations[i].modes, variables.modes[i], strict=True)
            if mode.machine == previous.machine
        ]
        terms.append(1 - sum(stays))
    return sum(terms)


def set_objective(
    model: cp_model.CpModel, problem: Problem, variables: Variables, weights: ObjectiveWeights
) -> cp_model.LinearExprT:
    """Minimise the weighted sum; return it, so later runs can bound it from below."""
    weighted_tardiness = sum(problem.jobs[j].weight * t for j, t in variables.tardiness.items())
    expression = (
        weights.tardiness * weighted_tardiness
        + weights.stability * moved_expression(problem, variables)
        + weights.makespan * variables.makespan
    )
    model.minimize(expression)
    return expression
