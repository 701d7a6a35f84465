"""Problem data: what the scheduler is asked to plan.

Plain frozen dataclasses, indexed by position (an operation names its job by index
into ``Problem.jobs``, a mode names its machine by index into ``Problem.machines``).
Times are integer seconds from the plan origin (time 0, "now"); frozen operations
(already running or done) may lie before it. ``Problem.validate()`` checks the
structure and raises ``ProblemError`` naming the bad item (see ``validation``); it
never decides feasibility, which is the solver's job.
"""

from __future__ import annotations

import enum
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


# DESIGN section 6: due dates first (they are promises to customers), then finishing
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
        from pnp.scheduler.validation import validate_problem

        validate_problem(self)
