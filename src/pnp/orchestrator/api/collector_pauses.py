"""Keeps the cyclic garbage collector's full passes short in a serving process.

Python's collector scans every tracked object it holds in a full (generation 2) pass,
with the interpreter stopped: nothing is read, acknowledged or scheduled meanwhile.
A floor of 5000 modules is hundreds of thousands of long-lived objects (registry
entries, sessions, their gRPC calls, tasks and locks), and a full pass over them took
0.3-1.9 s on this project's benchmark machine (``bench/registry.py --gc-log``): one
such pause a minute is every heartbeat of that second late, far past the round-trip
bound of 50 ms.

What survives a full pass is alive by definition, and what has lived that long on a
floor mostly lives as long as the floor does. So after a full pass that stopped the
process longer than ``budget`` seconds, its survivors are frozen (``gc.freeze``): moved
out of the collector's sight, as ``pnp serve`` already does with what was loaded at
start. The next full pass scans only what was born since. Objects freed by reference
counting are freed as before, frozen or not; what a frozen object becomes part of an
unreachable cycle later (a module that leaves for good, say) is not reclaimed. That is
the price: some memory per module that leaves, against pauses that grow with the floor.

The freeze runs on the event loop just after the pass (``schedule``), not inside the
collector's callback, which may run in any thread.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

# Full passes shorter than this are left alone: freezing buys nothing there.
DEFAULT_BUDGET_SECONDS = 0.02
FULL_PASS = 2  # the oldest generation: a pass over every object the collector holds


class FreezeAfterLongPasses:
    """A ``gc.callbacks`` entry: times each full pass and, when one took longer than
    ``budget``, has its survivors frozen through ``schedule`` (the event loop's
    ``call_soon_threadsafe`` in a server). Timed in the collecting thread's CPU time:
    the collector's own work, which is what freezing saves, not time the host took
    the CPU away. ``freeze`` and ``clock`` are injected for tests."""

    def __init__(
        self,
        schedule: Callable[[Callable[[], None]], Any],
        *,
        budget: float = DEFAULT_BUDGET_SECONDS,
        freeze: Callable[[], None] = gc.freeze,
        clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self._schedule = schedule
        self._budget = budget
        self._freeze = freeze
        self._clock = clock
        self._started = 0.0
        self._scheduled = False
        self.frozen_after: list[float] = []  # the pauses that led to a freeze, in seconds

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != FULL_PASS:
            return
        if phase == "start":
            self._started = self._clock()
            return
        paused = self._clock() - self._started
        if paused > self._budget and not self._scheduled:
            self._scheduled = True  # one freeze per pass, however many passes queue up
            self._schedule(lambda: self._freeze_survivors(paused))

    def _freeze_survivors(self, paused: float) -> None:
        self._scheduled = False
        self._freeze()
        self.frozen_after.append(paused)
        log.info(
            "a full garbage collection paused the server %.0f ms; its survivors are "
            "frozen (%d objects frozen in all)",
            paused * 1000,
            gc.get_freeze_count(),
        )


@contextmanager
def freezing_after_long_passes(
    schedule: Callable[[Callable[[], None]], Any], budget: float = DEFAULT_BUDGET_SECONDS
) -> Iterator[FreezeAfterLongPasses]:
    """Installs a ``FreezeAfterLongPasses`` for the block (the serving process's life)."""
    guard = FreezeAfterLongPasses(schedule, budget=budget)
    gc.callbacks.append(guard)
    try:
        yield guard
    finally:
        gc.callbacks.remove(guard)
