"""The best schedule found so far, shared by the searches that run side by side.

The dispatch heuristic, the local search and CP-SAT's solution callback all offer
schedules here; CP-SAT's bound callback raises the bound. Each improvement is
reported to the caller's progress callback, so a planner can show the plan getting
better and the gap closing while the solve runs. Offers may come from CP-SAT's
threads and from the calling thread at once, hence the lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pnp.scheduler import metrics
from pnp.scheduler.model.objective import ObjectiveWeights
from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation


@dataclass(frozen=True)
class Progress:
    """One step of an anytime solve: a better plan or a better bound."""

    seconds: float  # since the solve started
    objective: float | None  # of the best plan so far (None: no plan yet)
    bound: float | None  # proven lower bound on the objective (None: none yet)
    found_by: (
        str  # who found the best plan: "dispatch", "local search", "squeaky wheel" or "cp-sat"
    )


@dataclass(frozen=True)
class Candidate:
    value: int
    schedule: tuple[ScheduledOperation, ...]
    found_by: str


class Incumbent:
    def __init__(
        self,
        problem: Problem,
        weights: ObjectiveWeights,
        started: float,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self._problem = problem
        self.weights = weights  # the solve's: how plans are ranked
        self._started = started
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self.best: Candidate | None = None
        self.bound: int | None = None
        self.first_solution_seconds: float | None = None
        self.improved_at = started  # time.monotonic() of the last better plan

    def value_of(self, schedule: Sequence[ScheduledOperation]) -> int:
        return self.weights.value(
            metrics.weighted_tardiness(self._problem, schedule),
            metrics.moved_operations(self._problem, schedule),
            metrics.makespan(schedule),
        )

    def offer(self, schedule: Sequence[ScheduledOperation], found_by: str) -> bool:
        """Keep ``schedule`` if it beats the best so far; True if it did."""
        value = self.value_of(schedule)
        with self._lock:
            if self.best is not None and value >= self.best.value:
                return False
            self.best = Candidate(value, tuple(schedule), found_by)
            self.improved_at = time.monotonic()
            if self.first_solution_seconds is None:
                self.first_solution_seconds = self._elapsed()
            self._report()
        return True

    def raise_bound(self, bound: float) -> None:
        if not math.isfinite(bound):
            return  # CP-SAT had no bound yet
        # CP-SAT reports floats; the objective is an integer, so its bound rounds up.
        proven = math.ceil(bound - 1e-9)
        with self._lock:
            if self.bound is None or proven > self.bound:
                self.bound = proven
                self._report()

    @property
    def proven_optimal(self) -> bool:
        return self.best is not None and self.bound is not None and self.bound >= self.best.value

    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _report(self) -> None:
        if self._on_progress is None:
            return
        objective = None if self.best is None else self.best.value
        bound = self.bound
        if bound is not None and objective is not None:
            bound = min(bound, objective)
        self._on_progress(
            Progress(
                seconds=self._elapsed(),
                objective=None if objective is None else float(objective),
                bound=None if bound is None else float(bound),
                found_by="" if self.best is None else self.best.found_by,
            )
        )
