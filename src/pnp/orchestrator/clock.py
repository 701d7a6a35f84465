"""Injected time: the system clock in production, a manual one in tests and simulations.

``now`` is factory time, which a simulation runs faster than the world (``ScaledClock``).
A clock that knows the world's time too has ``wall_now``; ``wall_now(clock)`` asks it,
so stamps meant for people and other systems (a data package's ``exported_at``) say
when things really happened, whatever the simulation's pace.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC: for timestamps people read."""

    def monotonic(self) -> float:
        """Seconds that never go backwards: for leases and timeouts."""


def wall_now(clock: Clock) -> datetime:
    """The world's time by ``clock``: its ``wall_now`` where it has one, else ``now``
    (a clock that does not tell the two apart keeps the world's time)."""
    wall = getattr(clock, "wall_now", None)
    return wall() if callable(wall) else clock.now()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ScaledClock:
    """Factory time running ``scale`` times faster than real time (for simulations).

    Wall time starts at the real time of creation and then advances ``scale`` seconds
    per real second, so plans, due dates and transport waits all live in factory time.
    Leases keep to real time: ``monotonic`` is not scaled, because a network does not
    get faster when the simulation does.
    """

    def __init__(self, scale: float, resume_from: datetime | None = None) -> None:
        """``resume_from``: the last factory time a previous run recorded. A restarted
        simulation carries on from there (or from the real time, if later): factory
        time never runs backwards across a restart."""
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        now = datetime.now(UTC)
        self._anchor = max(now, resume_from) if resume_from is not None else now
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=(time.monotonic() - self._started) * self.scale)

    def wall_now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds
