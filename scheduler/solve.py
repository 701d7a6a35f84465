"""Run CP-SAT on a problem and turn its answer into a ``Result``.

Malformed problems raise ``ProblemError`` (from ``Problem.validate``); a well-formed
problem never raises, whatever the solver finds: the status says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler import metrics
from scheduler.model.builder import BuiltModel, build_model
from scheduler.problem import Problem
from scheduler.result import Result, ScheduledOperation, SolveStatus

_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.UNKNOWN: SolveStatus.UNKNOWN,
}


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = 10.0  # seconds of wall time
    workers: int = 2  # CP-SAT search workers
    seed: int = 0  # random seed, so the same input gives the same search

    def __post_init__(self) -> None:
        if self.time_limit <= 0:
            raise ValueError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")


def solve(problem: Problem, options: SolveOptions = SolveOptions()) -> Result:
    """Schedule ``problem``: minimise weighted tardiness, then makespan."""
    problem.validate()
    if not problem.operations:
        return Result(
            status=SolveStatus.OPTIMAL,
            schedule=(),
            objective=0.0,
            bound=0.0,
            makespan=0,
            weighted_tardiness=0,
            solve_seconds=0.0,
        )

    built = build_model(problem)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = options.time_limit
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    code = solver.solve(built.model)
    if code == cp_model.MODEL_INVALID:
        # Validation should make this impossible: it is a bug in the model builder.
        raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
    status = _STATUS[code]

    if status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        bound = solver.best_objective_bound if status is SolveStatus.UNKNOWN else None
        return Result(
            status=status,
            schedule=(),
            objective=None,
            bound=bound,
            makespan=None,
            weighted_tardiness=None,
            solve_seconds=solver.wall_time,
            tardiness_weight=built.tardiness_weight,
        )

    schedule = _read_schedule(problem, built, solver)
    span = metrics.makespan(schedule)
    tardiness = metrics.weighted_tardiness(problem, schedule)
    # Recomputed from the schedule rather than read from the solver, so the objective
    # always matches the reported makespan and tardiness (the solver's auxiliary
    # variables may carry slack in a non-optimal solution).
    value = float(built.tardiness_weight * tardiness + span)
    bound = value if status is SolveStatus.OPTIMAL else min(value, solver.best_objective_bound)
    return Result(
        status=status,
        schedule=schedule,
        objective=value,
        bound=bound,
        makespan=span,
        weighted_tardiness=tardiness,
        solve_seconds=solver.wall_time,
        tardiness_weight=built.tardiness_weight,
    )


def _read_schedule(
    problem: Problem, built: BuiltModel, solver: cp_model.CpSolver
) -> tuple[ScheduledOperation, ...]:
    schedule = []
    for i, op in enumerate(problem.operations):
        chosen = next(
            mode
            for mode, mv in zip(op.modes, built.variables.modes[i], strict=True)
            if solver.boolean_value(mv.presence)
        )
        schedule.append(
            ScheduledOperation(
                operation=i,
                machine=chosen.machine,
                start=int(solver.value(built.variables.starts[i])),
                end=int(solver.value(built.variables.ends[i])),
            )
        )
    return tuple(schedule)
