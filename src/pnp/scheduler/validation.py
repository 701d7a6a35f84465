"""Structural checks of a ``Problem``: every error names the item and what is wrong.

Run by ``Problem.validate()`` (and so by ``solve``) before any model is built, so
that a caller's mistake is reported in its own terms ("operation 'weld-3' (index 7):
mode 1 refers to machine 9") rather than as a solver failure. Feasibility is not
checked here: a sound problem may still have no schedule.
"""

from __future__ import annotations

import graphlib
from collections import defaultdict

from pnp.scheduler.problem import Objective, Placement, Problem, ProblemError


def validate_problem(problem: Problem) -> None:
    _validate_machines(problem)
    _validate_jobs(problem)
    _validate_operations(problem)
    _validate_precedences(problem)
    _validate_transport(problem)
    _validate_frozen(problem)
    _validate_previous_plan(problem)
    _validate_objectives(problem)


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True as a duration is certainly a mistake.
    return isinstance(value, int) and not isinstance(value, bool)


def _operation_label(problem: Problem, index: int) -> str:
    return f"operation {problem.operations[index].name!r} (index {index})"


def _machine_label(problem: Problem, index: int) -> str:
    return f"machine {problem.machines[index].name!r} (index {index})"


def _validate_machines(problem: Problem) -> None:
    seen: dict[str, int] = {}
    for index, machine in enumerate(problem.machines):
        label = _machine_label(problem, index)
        # Machine names key the line graph, so two machines must not share one.
        if machine.name in seen:
            raise ProblemError(
                f"{label}: name already used by machine {seen[machine.name]}; "
                "machine names must be unique"
            )
        seen[machine.name] = index
        if not _is_int(machine.capacity) or machine.capacity < 1:
            raise ProblemError(
                f"{label}: capacity must be an integer >= 1, got {machine.capacity!r}"
            )
        _validate_windows(label, machine.availability)
        _validate_changeovers(label, machine)


def _validate_windows(label: str, windows) -> None:
    if windows is None:
        return
    previous_end: int | None = None
    for k, window in enumerate(windows):
        for side in (window.start, window.end):
            if side is not None and not _is_int(side):
                raise ProblemError(f"{label}: availability window {k} has a non-integer bound")
        if window.start is not None and window.end is not None and window.start >= window.end:
            raise ProblemError(
                f"{label}: availability window {k} [{window.start}, {window.end}) is empty; "
                "a window's start must be before its end"
            )
        if k > 0 and (previous_end is None or window.start is None or window.start < previous_end):
            raise ProblemError(
                f"{label}: availability window {k} starts before window {k - 1} ends; "
                "list windows in time order, without overlap"
            )
        previous_end = window.end


def _validate_changeovers(label: str, machine) -> None:
    pairs: set[tuple[str, str]] = set()
    for changeover in machine.changeovers:
        pair = (changeover.from_family, changeover.to_family)
        if not all(isinstance(f, str) for f in pair):
            raise ProblemError(f"{label}: changeover families must be strings, got {pair!r}")
        if pair in pairs:
            raise ProblemError(f"{label}: changeover {pair[0]!r} -> {pair[1]!r} listed twice")
        pairs.add(pair)
        if not _is_int(changeover.seconds) or changeover.seconds < 0:
            raise ProblemError(
                f"{label}: changeover {pair[0]!r} -> {pair[1]!r} must take an integer >= 0 "
                f"seconds, got {changeover.seconds!r}"
            )
    # A changeover is the gap between two consecutive operations; with several running
    # side by side "consecutive" has no meaning, so we refuse the combination.
    if machine.has_changeovers and machine.capacity > 1:
        raise ProblemError(
            f"{label}: changeovers need capacity 1 (operations in sequence), "
            f"but capacity is {machine.capacity}"
        )


def _validate_jobs(problem: Problem) -> None:
    for index, job in enumerate(problem.jobs):
        label = f"job {job.name!r} (index {index})"
        if not _is_int(job.weight) or job.weight < 0:
            raise ProblemError(f"{label}: weight must be an integer >= 0, got {job.weight!r}")
        if job.due is not None and not _is_int(job.due):
            raise ProblemError(f"{label}: due must be an integer or None, got {job.due!r}")
        if not _is_int(job.release):
            raise ProblemError(f"{label}: release must be an integer, got {job.release!r}")


def _validate_operations(problem: Problem) -> None:
    n_jobs, n_machines = len(problem.jobs), len(problem.machines)
    for index, operation in enumerate(problem.operations):
        label = _operation_label(problem, index)
        if not _is_int(operation.job) or not 0 <= operation.job < n_jobs:
            raise ProblemError(
                f"{label}: refers to job {operation.job!r}, but there are {n_jobs} jobs"
            )
        if not operation.modes:
            raise ProblemError(f"{label}: has no modes; it needs at least one machine to run on")
        for m, mode in enumerate(operation.modes):
            if not _is_int(mode.machine) or not 0 <= mode.machine < n_machines:
                raise ProblemError(
                    f"{label}: mode {m} refers to machine {mode.machine!r}, "
                    f"but there are {n_machines} machines"
                )
            if not _is_int(mode.duration) or mode.duration < 0:
                raise ProblemError(
                    f"{label}: mode {m} has duration {mode.duration!r}; "
                    "durations must be integers >= 0"
                )
            if mode.family is not None and not isinstance(mode.family, str):
                raise ProblemError(f"{label}: mode {m} family must be a string or None")


def _validate_precedences(problem: Problem) -> None:
    n_ops = len(problem.operations)
    for index, precedence in enumerate(problem.precedences):
        label = f"precedence {index} ({precedence.before!r} -> {precedence.after!r})"
        for end in (precedence.before, precedence.after):
            if not _is_int(end) or not 0 <= end < n_ops:
                raise ProblemError(
                    f"{label}: refers to operation {end!r}, but there are {n_ops} operations"
                )
        if not _is_int(precedence.min_delay) or precedence.min_delay < 0:
            raise ProblemError(
                f"{label}: min_delay must be an integer >= 0, got {precedence.min_delay!r}"
            )
    _reject_cycles(problem)


def _reject_cycles(problem: Problem) -> None:
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for precedence in problem.precedences:
        sorter.add(precedence.after, precedence.before)
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1]
        names = " -> ".join(repr(problem.operations[i].name) for i in cycle)
        raise ProblemError(f"precedences form a cycle: {names}") from None


def _validate_transport(problem: Problem) -> None:
    if problem.transport is None:
        return
    n = len(problem.machines)
    if len(problem.transport) != n:
        raise ProblemError(
            f"transport matrix has {len(problem.transport)} rows, but there are {n} machines"
        )
    for a, row in enumerate(problem.transport):
        if len(row) != n:
            raise ProblemError(
                f"transport matrix row {a} has {len(row)} entries, but there are {n} machines"
            )
        for b, seconds in enumerate(row):
            if not _is_int(seconds) or seconds < 0:
                raise ProblemError(
                    f"transport[{a}][{b}] (from {problem.machines[a].name!r} to "
                    f"{problem.machines[b].name!r}) must be an integer >= 0, got {seconds!r}"
                )


def _validate_placement(problem: Problem, label: str, placement: Placement) -> None:
    n = len(problem.machines)
    if not _is_int(placement.machine) or not 0 <= placement.machine < n:
        raise ProblemError(f"{label} refers to machine {placement.machine!r}, but there are {n}")
    if not _is_int(placement.start):
        raise ProblemError(f"{label} has start {placement.start!r}; it must be an integer")


def _validate_frozen(problem: Problem) -> None:
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for index, operation in enumerate(problem.operations):
        frozen = operation.frozen
        if frozen is None:
            continue
        label = f"{_operation_label(problem, index)}: frozen placement"
        _validate_placement(problem, label, frozen)
        modes = operation.modes_on(frozen.machine)
        if not modes:
            raise ProblemError(
                f"{label} is on {_machine_label(problem, frozen.machine)}, "
                "which none of its modes uses"
            )
        end = frozen.start + modes[0].duration
        machine = problem.machines[frozen.machine]
        if machine.availability is not None and not any(
            w.contains(frozen.start, end) for w in machine.availability
        ):
            raise ProblemError(
                f"{label} [{frozen.start}, {end}) lies outside the availability of "
                f"{_machine_label(problem, frozen.machine)}; unfreeze it to have it re-run "
                "elsewhere"
            )
        spans[frozen.machine].append((frozen.start, end, index))
    for precedence in problem.precedences:
        if problem.operations[precedence.after].frozen and not (
            problem.operations[precedence.before].frozen
        ):
            raise ProblemError(
                f"{_operation_label(problem, precedence.after)} is frozen (started), but its "
                f"predecessor {_operation_label(problem, precedence.before)} is not; freeze "
                "the predecessor too"
            )
    for machine, placed in spans.items():
        _reject_overbooking(problem, machine, placed)


def _reject_overbooking(problem: Problem, machine: int, placed: list[tuple[int, int, int]]) -> None:
    """Frozen operations are facts; facts that overbook a machine are a caller's mistake."""
    capacity = problem.machines[machine].capacity
    events = sorted(
        [(s, 1, i) for s, e, i in placed if e > s] + [(e, -1, i) for s, e, i in placed if e > s]
    )
    running = 0
    for _, change, index in events:
        running += change
        if running > capacity:
            raise ProblemError(
                f"{_operation_label(problem, index)}: frozen operations overbook "
                f"{_machine_label(problem, machine)} (capacity {capacity})"
            )


def _validate_previous_plan(problem: Problem) -> None:
    if not problem.previous_plan:
        return
    if len(problem.previous_plan) != len(problem.operations):
        raise ProblemError(
            f"previous_plan has {len(problem.previous_plan)} entries, but there are "
            f"{len(problem.operations)} operations (use None for operations it did not have)"
        )
    for index, placement in enumerate(problem.previous_plan):
        if placement is not None:
            label = f"{_operation_label(problem, index)}: previous placement"
            _validate_placement(problem, label, placement)


def _validate_objectives(problem: Problem) -> None:
    if not problem.objectives:
        raise ProblemError("objectives is empty; rank at least one objective")
    for objective in problem.objectives:
        if not isinstance(objective, Objective):
            raise ProblemError(f"objectives must be Objective members, got {objective!r}")
    if len(set(problem.objectives)) != len(problem.objectives):
        raise ProblemError("objectives lists an objective twice")
