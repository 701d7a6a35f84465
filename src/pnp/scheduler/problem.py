"""Problem data: what the scheduler is asked to plan.

Plain frozen dataclasses, indexed by position (an operation names its job by index
into ``Problem.jobs``, a mode names its machine by index into ``Problem.machines``).
Times are integer seconds from the plan origin (time 0, "now"); frozen operations
(already running or done) may lie before it. ``Problem.validate()`` checks the
structure and raises ``ProblemError`` naming the bad item (the checks are at the end
of this module); it never decides feasibility, which is the solver's job.
"""

from __future__ import annotations

import enum
import graphlib
from collections import defaultdict
from dataclasses import dataclass


class ProblemError(ValueError):
    """A problem is malformed (bad index, negative duration, precedence cycle...)."""


@dataclass(frozen=True)
class Window:
    """A span of time ``[start, end)``; ``None`` leaves that side unbounded."""

    start: int | None = None
    end: int | None = None

    def contains(self, start: int, end: int) -> bool:
        """Whether ``[start, end]`` lies inside this window."""
        return (self.start is None or self.start <= start) and (self.end is None or end <= self.end)


@dataclass(frozen=True)
class Changeover:
    """Setting a machine up for ``to_family`` right after ``from_family`` takes ``seconds``."""

    from_family: str
    to_family: str
    seconds: int


@dataclass(frozen=True)
class Machine:
    """A resource (a plugged-in module).

    ``capacity`` operations may run on it at once (a batch oven holds several). It
    works only inside its ``availability`` windows (``None``: always), which is how
    maintenance, a module not plugged in yet, or one being drained are said. A
    changeover between operations of different families (paint colours, say) keeps
    it idle for the listed seconds; pairs not listed take none.
    """

    name: str
    capacity: int = 1
    availability: tuple[Window, ...] | None = None
    changeovers: tuple[Changeover, ...] = ()

    def __post_init__(self) -> None:
        if self.availability is not None:
            object.__setattr__(self, "availability", tuple(self.availability))
        object.__setattr__(self, "changeovers", tuple(self.changeovers))

    def changeover(self, from_family: str | None, to_family: str | None) -> int:
        """Seconds between an operation of ``from_family`` and one of ``to_family``."""
        if from_family is None or to_family is None:
            return 0
        for c in self.changeovers:
            if c.from_family == from_family and c.to_family == to_family:
                return c.seconds
        return 0

    @property
    def has_changeovers(self) -> bool:
        return any(c.seconds > 0 for c in self.changeovers)


@dataclass(frozen=True)
class Mode:
    """One way to run an operation: on ``machine`` for ``duration`` seconds.

    ``family`` names what the machine must be set up for (see ``Machine.changeovers``).
    """

    machine: int
    duration: int
    family: str | None = None


@dataclass(frozen=True)
class Placement:
    """An operation's machine and start, as fixed (frozen) or as previously planned."""

    machine: int
    start: int


@dataclass(frozen=True)
class Job:
    """A group of operations with a common release, due date and tardiness weight."""

    name: str
    weight: int = 1
    due: int | None = None
    release: int = 0


@dataclass(frozen=True)
class Operation:
    """One step of a job; runs in exactly one of its alternative ``modes``.

    A ``frozen`` operation is already running or done: it stays on that machine at
    that start (with the duration of its mode on that machine), and the rest of the
    plan is built around it.
    """

    name: str
    job: int
    modes: tuple[Mode, ...]
    frozen: Placement | None = None

    def __post_init__(self) -> None:
        # Accept any iterable so callers may pass lists; keep the stored value hashable.
        object.__setattr__(self, "modes", tuple(self.modes))

    def modes_on(self, machine: int) -> tuple[Mode, ...]:
        return tuple(mode for mode in self.modes if mode.machine == machine)


@dataclass(frozen=True)
class Precedence:
    """``after`` starts no earlier than ``end(before) + min_delay`` (+ transport)."""

    before: int
    after: int
    min_delay: int = 0


class Objective(enum.Enum):
    """What the solver minimises; ``Problem.objectives`` ranks them lexicographically."""

    WEIGHTED_TARDINESS = "weighted_tardiness"  # sum of weight * lateness over jobs with a due date
    PLAN_STABILITY = "plan_stability"  # operations moved off their previously planned machine
    MAKESPAN = "makespan"  # end of the last operation


# The reference design: due dates first (they are promises to customers), then finishing
# early, then keeping the previous plan. Stability below makespan is what lets a newly
# plugged-in module take work; it still decides between plans that finish equally early,
# which on a real floor is most of them (only the critical path sets the makespan).
DEFAULT_OBJECTIVES = (Objective.WEIGHTED_TARDINESS, Objective.MAKESPAN, Objective.PLAN_STABILITY)


@dataclass(frozen=True)
class Problem:
    """A flexible job shop with factory constraints: machines, jobs, operations with
    modes, precedences, transport, frozen operations and the previous plan."""

    machines: tuple[Machine, ...]
    jobs: tuple[Job, ...]
    operations: tuple[Operation, ...]
    precedences: tuple[Precedence, ...] = ()
    # transport[a][b]: seconds to move material from machine a to machine b, applied on
    # every precedence edge according to the machines the two operations are placed on;
    # None means 0.
    transport: tuple[tuple[int, ...], ...] | None = None
    # The plan being replaced, per operation (None for operations it did not have);
    # empty when there is none. It seeds the search and defines plan stability.
    previous_plan: tuple[Placement | None, ...] = ()
    objectives: tuple[Objective, ...] = DEFAULT_OBJECTIVES

    def __post_init__(self) -> None:
        # Accept lists from callers; store tuples so problems compare and hash by value.
        object.__setattr__(self, "machines", tuple(self.machines))
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "operations", tuple(self.operations))
        object.__setattr__(self, "precedences", tuple(self.precedences))
        object.__setattr__(self, "previous_plan", tuple(self.previous_plan))
        object.__setattr__(self, "objectives", tuple(self.objectives))
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

    def previous_placement(self, operation: int) -> Placement | None:
        return self.previous_plan[operation] if self.previous_plan else None

    def validate(self) -> None:
        """Raise ``ProblemError`` naming the first malformed item; return None if sound."""
        _validate_problem(self)


# Structural checks, run by ``Problem.validate()`` (and so by ``solve``) before any
# model is built, so that a caller's mistake is reported in its own terms ("operation
# 'weld-3' (index 7): mode 1 refers to machine 9") rather than as a solver failure.
# Feasibility is not checked here: a sound problem may still have no schedule.


def _validate_problem(problem: Problem) -> None:
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


def _validate_windows(label: str, windows: tuple[Window, ...] | None) -> None:
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


def _validate_changeovers(label: str, machine: Machine) -> None:
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
    for machine_index, placed in spans.items():
        _reject_overbooking(problem, machine_index, placed)


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
