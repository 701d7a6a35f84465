"""Decision variables: a start and end per operation, one optional interval per mode.

Each operation's mode intervals share the operation's start and end variables, so
whichever mode is chosen (its presence literal true) fixes ``end = start + duration``
and occupies its machine; the others are absent and ignored by ``NoOverlap``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.problem import Problem


@dataclass(frozen=True)
class ModeVariables:
    presence: cp_model.IntVar  # true when the operation runs in this mode
    interval: cp_model.IntervalVar


@dataclass(frozen=True)
class Variables:
    starts: tuple[cp_model.IntVar, ...]  # per operation
    ends: tuple[cp_model.IntVar, ...]  # per operation
    modes: tuple[tuple[ModeVariables, ...], ...]  # [operation][mode]
    makespan: cp_model.IntVar
    tardiness: dict[int, cp_model.IntVar]  # job index -> tardiness, only for scored jobs


def scored_jobs(problem: Problem) -> tuple[int, ...]:
    """Jobs whose tardiness counts: a due date, a positive weight and some operation."""
    with_operations = {op.job for op in problem.operations}
    return tuple(
        j
        for j, job in enumerate(problem.jobs)
        if job.due is not None and job.weight > 0 and j in with_operations
    )


def create_variables(model: cp_model.CpModel, problem: Problem, horizon: int) -> Variables:
    starts, ends, modes = [], [], []
    for i, op in enumerate(problem.operations):
        # The job's release is the start's lower bound; a release in the past is time 0.
        earliest = max(0, problem.jobs[op.job].release)
        start = model.new_int_var(earliest, horizon, f"start_{i}")
        end = model.new_int_var(earliest, horizon, f"end_{i}")
        op_modes = []
        for m, mode in enumerate(op.modes):
            presence = model.new_bool_var(f"mode_{i}_{m}")
            interval = model.new_optional_interval_var(
                start, mode.duration, end, presence, f"interval_{i}_{m}"
            )
            op_modes.append(ModeVariables(presence, interval))
        starts.append(start)
        ends.append(end)
        modes.append(tuple(op_modes))

    tardiness = {}
    for j in scored_jobs(problem):
        due = problem.jobs[j].due
        assert due is not None  # scored_jobs only keeps jobs with a due date
        tardiness[j] = model.new_int_var(0, max(0, horizon - due), f"tardiness_{j}")

    return Variables(
        starts=tuple(starts),
        ends=tuple(ends),
        modes=tuple(modes),
        makespan=model.new_int_var(0, horizon, "makespan"),
        tardiness=tardiness,
    )
