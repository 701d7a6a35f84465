"""Noticing our own stalls: a tick that should come every ``interval`` came late.

The orchestrator's event loop reads heartbeats; while it is stalled (a long
computation, a GC pause, a machine starved of CPU) heartbeats wait in the socket and
leases run out through no fault of the modules. A small task sleeps ``interval`` over
and over; ``PauseDetector`` says how late each wake-up was, and lateness beyond
``tolerance`` is a pause, which the registry excuses (``Registry.excuse_pause``).

Pure: the clock is injected; the caller does the sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from pnp.orchestrator.clock import Clock


@dataclass(frozen=True)
class PauseStats:
    pauses: int = 0  # wake-ups late by more than the tolerance
    longest: float = 0.0  # seconds
    total: float = 0.0  # seconds excused, all pauses together


class PauseDetector:
    def __init__(self, clock: Clock, *, interval: float = 0.05, tolerance: float = 0.05) -> None:
        if interval <= 0 or tolerance < 0:
            raise ValueError("need interval > 0 and tolerance >= 0")
        self.clock = clock
        self.interval = interval
        self.tolerance = tolerance
        self.stats = PauseStats()
        self._due: float | None = None

    def arm(self) -> float:
        """Before sleeping: the seconds to sleep; the wake-up is due after them."""
        self._due = self.clock.monotonic() + self.interval
        return self.interval

    def woke(self) -> float:
        """After sleeping: the seconds we were paused (0.0 when on time or nearly)."""
        if self._due is None:
            raise RuntimeError("woke() without arm()")
        late, self._due = self.clock.monotonic() - self._due, None
        if late <= self.tolerance:
            return 0.0
        stats = self.stats
        self.stats = PauseStats(stats.pauses + 1, max(stats.longest, late), stats.total + late)
        return late
