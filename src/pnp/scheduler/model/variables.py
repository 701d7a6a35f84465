"""Decision variables: a start and end per operation, one optional interval per mode.

Each operation's mode intervals share the operation's start and end variables, so
whichever mode is chosen (its presence literal true) fixes ``end = start + duration``
and occupies its machine; the others are absent and ignored by the machine's
constraint. Frozen operations get constant starts and only their machine's modes.
Machines with changeovers also get sequence literals (one per ordered pair of modes
on the machine) for their circuit constraint.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from pnp.scheduler.problem import Objective, Problem

# A mode of an operation, as (operation index, mode index).
ModeRef = tuple[int, int]
# The circuit's depot node: where a machine's sequence starts and ends.
DEPOT: ModeRef = (-1, -1)


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
    # machine -> (mode a, mode b) -> "b directly follows a"; (m, m) means "m is absent".
    sequences: dict[int, dict[tuple[ModeRef, ModeRef], cp_model.IntVar]]

    def modes_by_machine(self, problem: Problem) -> dict[int, list[ModeRef]]:
        by_machine: dict[int, list[ModeRef]] = defaultdict(list)
        for i, op in enumerate(problem.operations):
            for m, mode in enumerate(op.modes):
                by_machine[mode.machine].append((i, m))
        return by_machine


def scored_jobs(problem: Problem) -> tuple[int, ...]:
    """Jobs whose tardiness counts: a due date, a positive weight and some operation."""
    if Objective.WEIGHTED_TARDINESS not in problem.objectives:
        return ()
    with_operations = {op.job for op in problem.operations}
    return tuple(
        j
        for j, job in enumerate(problem.jobs)
        if job.due is not None and job.weight > 0 and j in with_operations
    )


def create_variables(
    model: cp_model.CpModel, problem: Problem, earliest: int, horizon: int
) -> Variables:
    starts, ends, modes = [], [], []
    for i, op in enumerate(problem.operations):
        if op.frozen is not None:
            first = op.frozen.start
            start = model.new_int_var(first, first, f"start_{i}")
            end = model.new_int_var(first, first + max(m.duration for m in op.modes), f"end_{i}")
        else:
            # The job's release is the start's lower bound; a release in the past is time 0.
            first = max(0, problem.jobs[op.job].release)
            start = model.new_int_var(first, horizon, f"start_{i}")
            end = model.new_int_var(first, horizon, f"end_{i}")
        op_modes = []
        for m, mode in enumerate(op.modes):
            presence = model.new_bool_var(f"mode_{i}_{m}")
            if op.frozen is not None and mode.machine != op.frozen.machine:
                model.add(presence == 0)
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

    variables = Variables(
        starts=tuple(starts),
        ends=tuple(ends),
        modes=tuple(modes),
        makespan=model.new_int_var(earliest, horizon, "makespan"),
        tardiness=tardiness,
        sequences={},
    )
    for machine, refs in variables.modes_by_machine(problem).items():
        if problem.machines[machine].has_changeovers:
            variables.sequences[machine] = _sequence_literals(model, machine, refs)
    return variables


def _sequence_literals(
    model: cp_model.CpModel, machine: int, refs: list[ModeRef]
) -> dict[tuple[ModeRef, ModeRef], cp_model.IntVar]:
    nodes = [DEPOT, *refs]
    return {
        (a, b): model.new_bool_var(f"next_{machine}_{a[0]}_{a[1]}_{b[0]}_{b[1]}")
        for a in nodes
        for b in nodes
        # Two modes of one operation are never both present: no arc between them.
        if a == b or a[0] != b[0]
    }
