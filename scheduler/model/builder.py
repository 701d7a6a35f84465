"""Assemble the CP-SAT model of a problem from variables, constraints and objective."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.model import constraints, objective
from scheduler.model.horizon import horizon as compute_horizon
from scheduler.model.variables import Variables, create_variables
from scheduler.problem import Problem


@dataclass(frozen=True)
class BuiltModel:
    model: cp_model.CpModel
    variables: Variables
    horizon: int
    tardiness_weight: int  # coefficient of weighted tardiness in the objective


def build_model(problem: Problem) -> BuiltModel:
    """Build the model of a validated, non-empty problem."""
    model = cp_model.CpModel()
    horizon = compute_horizon(problem)
    variables = create_variables(model, problem, horizon)

    constraints.add_one_mode_per_operation(model, problem, variables)
    constraints.add_one_operation_at_a_time_per_machine(model, problem, variables)
    constraints.add_precedences(model, problem, variables)
    constraints.add_transport_times(model, problem, variables)
    constraints.add_makespan_covers_all_ends(model, problem, variables)
    constraints.add_machine_load_bounds(model, problem, variables)

    objective.add_tardiness_definitions(model, problem, variables)
    objective.set_objective(model, problem, variables, horizon)

    return BuiltModel(
        model=model,
        variables=variables,
        horizon=horizon,
        tardiness_weight=objective.tardiness_weight(variables, horizon),
    )
