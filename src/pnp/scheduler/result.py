"""What a solve returns: a status, the schedule, and how good it is.

``objective`` and ``bound`` are on the solver's single scale (see
``scheduler.model.objective``)::

    tardiness_weight * weighted_tardiness
    + stability_weight * moved_operations
    + makespan_weight * makespan

The weights make the ranking of ``Problem.objectives`` exactly lexicographic; an
objective that does not apply (no due dates, no previous plan) has weight 0, so a
plain makespan problem has ``objective == makespan``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SolveStatus(enum.Enum):
    OPTIMAL = "optimal"  # proven best schedule
    FEASIBLE = "feasible"  # a schedule, not proven best (time limit hit)
    INFEASIBLE = "infeasible"  # proven that no schedule exists
    UNKNOWN = "unknown"  # no schedule found and nothing proven within the time limit


@dataclass(frozen=True)
class ScheduledOperation:
    """Where and when one operation runs: ``[start, end)`` on ``machine``."""

    operation: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class Result:
    status: SolveStatus
    schedule: tuple[ScheduledOperation, ...]  # operation-index order; empty without solution
    objective: float | None
    bound: float | None
    makespan: int | None
    weighted_tardiness: int | None
    solve_seconds: float
    # Coefficient of weighted tardiness in ``objective`` (0 when no job has a due date).
    tardiness_weight: int = 0
    # Operations with a previous placement that now run on another machine, and the
    # coefficient of that count in ``objective`` (0 without a previous plan).
    moved_operations: int = 0
    stability_weight: int = 0
    makespan_weight: int = 1
    # Who found the returned schedule: "dispatch", "local search", "squeaky wheel" or "cp-sat".
    found_by: str = ""
    # Wall seconds from the call until the first schedule was known (None: never).
    first_solution_seconds: float | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap ``|objective - bound| / max(1, |objective|)``; None when unknown."""
        if self.objective is None or self.bound is None:
            return None
        # Same definition as CP-SAT's relative gap, so it is 0.0 for a proven optimum and
        # does not divide by zero when the optimum is 0.
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))

    @property
    def has_solution(self) -> bool:
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
