"""Problem data: what the scheduler is asked to plan.

Plain frozen dataclasses, indexed by position (an operation names its job by index
into ``Problem.jobs``, a mode names its machine by index into ``Problem.machines``).
Times are integer seconds from the plan origin (time 0). ``Problem.validate()``
checks the structure and raises ``ProblemError`` naming the bad item; it never
decides feasibility, which is the solver's job.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from dataclasses import dataclass


class ProblemError(ValueError):
    """A problem is malformed (bad index, negative duration, precedence cycle...)."""


@dataclass(frozen=True)
class Machine:
    """A resource that runs one operation at a time (a plugged-in module)."""

    name: str


@dataclass(frozen=True)
class Mode:
    """One way to run an operation: on ``machine`` for ``duration`` seconds."""

    machine: int
    duration: int


@dataclass(frozen=True)
class Job:
    """A group of operations with a common release, due date and tardiness weight."""

    name: str
    weight: int = 1
    due: int | None = None
    release: int = 0


@dataclass(frozen=True)
class Operation:
    """One step of a job; runs in exactly one of its alternative ``modes``."""

    name: str
    job: int
    modes: tuple[Mode, ...]

    def __post_init__(self) -> None:
        # Accept any iterable so callers may pass lists; keep the stored value hashable.
        object.__setattr__(self, "modes", tuple(self.modes))


@dataclass(frozen=True)
class Precedence:
    """``after`` starts no earlier than ``end(before) + min_delay`` (+ transport)."""

    before: int
    after: int
    min_delay: int = 0


@dataclass(frozen=True)
class Problem:
    """A flexible job shop: machines, jobs, operations with modes, precedences, transport."""

    machines: tuple[Machine, ...]
    jobs: tuple[Job, ...]
    operations: tuple[Operation, ...]
    precedences: tuple[Precedence, ...] = ()
    # transport[a][b]: seconds to move material from machine a to machine b, applied on
    # every precedence edge according to the machines the two operations are placed on;
    # None means 0.
    transport: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        # Accept lists from callers; store tuples so problems compare and hash by value.
        object.__setattr__(self, "machines", tuple(self.machines))
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "operations", tuple(self.operations))
        object.__setattr__(self, "precedences", tuple(self.precedences))
        if self.transport is not None:
            object.__setattr__(self, "transport", tuple(tuple(row) for row in self.transport))

    def job_operations(self, job: int) -> tuple[int, ...]:
        """Indices of the operations of ``job``, in index order."""
        return tuple(i for i, op in enumerate(self.operations) if op.job == job)

    def transport_time(self, from_machine: int, to_machine: int) -> int:
        """Seconds to move material between two machines (0 when no matrix is given)."""
        if self.transport is None:
            return 0
        return self.transport[from_machine][to_machine]

    def validate(self) -> None:
        """Raise ``ProblemError`` naming the first malformed item; return None if sound."""
        _validate_machines(self)
        _validate_jobs(self)
        _validate_operations(self)
        _validate_precedences(self)
        _validate_transport(self)


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True as a duration is certainly a mistake.
    return isinstance(value, int) and not isinstance(value, bool)


def _operation_label(problem: Problem, index: int) -> str:
    return f"operation {problem.operations[index].name!r} (index {index})"


def _validate_machines(problem: Problem) -> None:
    seen: dict[str, int] = {}
    for index, machine in enumerate(problem.machines):
        # Machine names key the line graph, so two machines must not share one.
        if machine.name in seen:
            raise ProblemError(
                f"machine {machine.name!r} (index {index}): name already used by machine "
                f"{seen[machine.name]}; machine names must be unique"
            )
        seen[machine.name] = index


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
    _reject_cycles(problem, problem.precedences)


def _reject_cycles(problem: Problem, precedences: Iterable[Precedence]) -> None:
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for precedence in precedences:
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
