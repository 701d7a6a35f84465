"""Assemble the CP-SAT model of a problem from variables, constraints and objective."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from pnp.scheduler.model import constraints, objective
from pnp.scheduler.model.horizon import earliest as compute_earliest
from pnp.scheduler.model.horizon import horizon as compute_horizon
from pnp.scheduler.model.objective import ObjectiveWeights
from pnp.scheduler.model.variables import Variables, create_variables
from pnp.scheduler.problem import Problem


@dataclass(frozen=True)
class BuiltModel:
    model: cp_model.CpModel
    variables: Variables
    earliest: int
    horizon: int
    weights: ObjectiveWeights
    objective: cp_model.LinearExprT  # the minimised expression


def build_model(problem: Problem, least_makespan: int | None = None) -> BuiltModel:
    """Build the model of a validated, non-empty problem; ``least_makespan``, a proven
    lower bound (``lower_bound``), starts the makespan's domain there."""
    model = cp_model.CpModel()
    earliest, horizon = compute_earliest(problem), compute_horizon(problem)
    weights = objective.objective_weights(problem, earliest, horizon)
    variables = create_variables(model, problem, earliest, horizon)

    constraints.add_one_mode_per_operation(model, problem, variables)
    constraints.add_machine_capacity(model, problem, variables, earliest, horizon)
    constraints.add_changeovers(model, problem, variables)
    constraints.add_precedences(model, problem, variables)
    constraints.add_transport_times(model, problem, variables)
    constraints.add_makespan_covers_all_ends(model, problem, variables)
    constraints.add_machine_load_bounds(model, problem, variables)
    if least_makespan is not None and earliest < least_makespan <= horizon:
        model.add(variables.makespan >= least_makespan)

    objective.add_tardiness_definitions(model, problem, variables)
    expression = objective.set_objective(model, problem, variables, weights)

    return BuiltModel(model, variables, earliest, horizon, weights, expression)
