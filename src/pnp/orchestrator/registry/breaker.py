"""The circuit breaker: when many modules are lost at once, suspect ourselves.

Losing most of the floor within one lease period is more likely a network or
orchestrator fault than a dozen machines failing together. Replanning everything
away from modules that may be fine would thrash the floor; instead replanning is
frozen and an alarm raised, until enough modules are back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    window_seconds: float  # one lease TTL
    threshold: float = 0.5  # share of the floor lost within the window that trips it
    min_modules: int = 3  # below this many modules, losses are just losses
    tripped: bool = False
    _losses: deque[float] = field(default_factory=deque)

    @property
    def recent_losses(self) -> int:
        """Losses counted within the window, as of the last ``record_losses``."""
        return len(self._losses)

    def record_losses(self, count: int, now: float, floor_size: int) -> bool:
        """Notes ``count`` modules lost at ``now`` (monotonic seconds); True if this trips it.

        ``floor_size`` is how many modules were plugged in before these losses.
        """
        for _ in range(count):
            self._losses.append(now)
        while self._losses and self._losses[0] < now - self.window_seconds:
            self._losses.popleft()
        if (
            not self.tripped
            and floor_size >= self.min_modules
            and len(self._losses) >= self.threshold * floor_size
        ):
            self.tripped = True
            return True
        return False

    def maybe_reset(self, alive: int, floor_size: int) -> bool:
        """Closes the breaker once more than ``1 - threshold`` of the floor is alive again."""
        if self.tripped and floor_size and alive > (1 - self.threshold) * floor_size:
            self.tripped = False
            self._losses.clear()
            return True
        return False
