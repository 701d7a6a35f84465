"""What the twin is computed from: plain values the service reads out of the store.

The twin never reads the database itself: the service hands it these records, so the
metering, the shells and the passports are pure functions tested without a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pnp.orchestrator.errors import BadInput, Violation


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end), timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise BadInput(
                "a period needs timezone-aware times",
                [Violation("from/to", "give times with a zone, e.g. 2026-12-01T08:00:00Z")],
            )
        if not self.start < self.end:
            raise BadInput(
                f"the period {self.start.isoformat()} .. {self.end.isoformat()} is empty",
                [Violation("to", "must be later than --from")],
            )

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class LeaseSpan:
    """One registration of a module (one epoch): from its grant until it ended (None:
    still live). ``vendor`` is the descriptor's vendor for that epoch."""

    module_id: str
    epoch: int
    vendor: str
    granted_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class DrainMark:
    """The moment a module was asked to drain: from then until its lease ended it took
    no new work (the metering's ``held`` state)."""

    module_id: str
    at: datetime


@dataclass(frozen=True)
class PowerSample:
    """One PowerKw reading of a module, recorded during an execution."""

    execution_id: str
    time: datetime
    kilowatts: float
