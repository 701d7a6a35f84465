"""One replan after a herd of registrations, once it settles, not one per group.

When a new leader takes over, thousands of modules register again within seconds, in
hundreds of groups (``group_commit``). A replan per group meant a snapshot of the whole
floor on the event loop and every descriptor pickled for the solver, back to back for
as long as the herd lasted: work that grows with the floor, done once per group, on
the loop that must also accept the herd's calls and read its heartbeats.

Registrations instead mark the plan's inputs changed here, and the replan is asked
for once they have been quiet for ``quiet`` seconds, or ``longest`` seconds after the
first unasked change at the latest (a steady trickle still gets its replans). A module
that registers alone waits ``quiet`` longer for its first plan. Anyone who wants the
plan as the inputs are now flushes first (``flush``), so that nothing is planned from
inputs older than the caller's.

``Settling`` is the pure timing; ``SettlingTrigger`` runs it on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# After registrations: a quarter of a second of quiet, at most two seconds of waiting.
# A herd of 5000 then costs a replan every two seconds instead of one per group.
REGISTRATION_QUIET = 0.25
REGISTRATION_LONGEST = 2.0


class Settling:
    """When a burst of changes has settled: pure, on times the caller passes in."""

    def __init__(self, *, quiet: float, longest: float) -> None:
        if quiet < 0 or longest < quiet:
            raise ValueError("need 0 <= quiet <= longest")
        self.quiet = quiet
        self.longest = longest
        self._first: float | None = None  # the first change not yet acted on
        self._last = 0.0

    @property
    def pending(self) -> bool:
        return self._first is not None

    def changed(self, now: float) -> None:
        if self._first is None:
            self._first = now
        self._last = now

    def wait(self, now: float) -> float | None:
        """Seconds until the burst counts as settled (0.0: now); None when nothing is
        pending."""
        if self._first is None:
            return None
        settled_at = min(self._last + self.quiet, self._first + self.longest)
        return max(0.0, settled_at - now)

    def taken(self) -> None:
        """The pending changes were acted on."""
        self._first = None


class SettlingTrigger:
    """Calls ``fire`` once per settled burst of ``changed`` calls (``Settling``)."""

    def __init__(
        self,
        fire: Callable[[], Awaitable[None]],
        monotonic: Callable[[], float],
        *,
        quiet: float,
        longest: float,
    ) -> None:
        self._fire = fire
        self._monotonic = monotonic
        self._settling = Settling(quiet=quiet, longest=longest)
        self._waiter: asyncio.Task[None] | None = None
        self.fired = 0  # times ``fire`` was called (for tests and the logs)

    def changed(self) -> None:
        """Something changed; ``fire`` follows once the changes settle. O(1), no I/O."""
        self._settling.changed(self._monotonic())
        if self._waiter is None or self._waiter.done():
            self._waiter = asyncio.get_running_loop().create_task(
                self._wait_then_fire(), name="settling"
            )

    async def flush(self) -> None:
        """Fires now if anything is pending (the caller wants the inputs as they are)."""
        if self._settling.pending:
            self._settling.taken()
            try:
                await self._call()
            except BaseException:  # cancelled (the caller gave up) or failed: not acted on
                self.changed()  # so the waiter acts on it once settled
                raise

    async def stop(self) -> None:
        if self._waiter is not None:
            self._waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiter

    async def _wait_then_fire(self) -> None:
        while (wait := self._settling.wait(self._monotonic())) is not None:
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self._settling.taken()
            try:
                await self._call()
            except Exception:  # a bug: said, and the next change is waited for again
                log.exception("acting on settled changes failed")

    async def _call(self) -> None:
        self.fired += 1
        await self._fire()
