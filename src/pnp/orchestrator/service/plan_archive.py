"""Plan versions go to the store in the background, and a full disk only delays them.

Each new plan is stored off the event loop (encoding a large plan takes a while), one
at a time and in order. While the disk under the database is full (``StorageFull``)
storing waits: one warning line says so, and the newest plan not yet stored is tried
again with backoff until space returns (then one line says it is stored). Plans
overtaken meanwhile are not stored: the newest is the one a restart resumes from, and
the store keeps only the last few anyway. Any other failure is a bug: logged with its
traceback, and the next plan is tried as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from pnp.orchestrator.errors import StorageFull
from pnp.orchestrator.planning import Plan
from pnp.orchestrator.service.full_disk_notice import FullDiskNotice

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_LONGEST_SECONDS = 10.0


class PlanArchive:
    def __init__(
        self,
        store_plan: Callable[[Plan], None],
        *,
        retry_first: float = RETRY_FIRST_SECONDS,
        retry_longest: float = RETRY_LONGEST_SECONDS,
    ) -> None:
        """``store_plan`` writes one plan (blocking; it runs in a worker thread)."""
        self._store_plan = store_plan
        self._retry_first = retry_first
        self._retry_longest = retry_longest
        self._newest: Plan | None = None  # not stored yet
        self._task: asyncio.Task[None] | None = None
        self._notice = FullDiskNotice("storing plans", "the newest is stored when it returns")
        self._stopping = asyncio.Event()

    @property
    def waiting_for_space(self) -> bool:
        return self._notice.waiting

    def add(self, plan: Plan) -> None:
        """Stores ``plan`` soon (in the background); an older plan still waiting is
        replaced by it. Once stopping, nothing more is taken: a write then could land
        after the store is closed and the lease given back."""
        if self._stopping.is_set():
            log.warning("plan v%d not stored: the orchestrator is stopping", plan.version)
            return
        self._newest = plan
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._store_waiting(), name="plan-archive"
            )

    async def stop(self) -> None:
        """Stores what waits, unless the disk is full: then it stays unstored (a warning
        says which version) rather than holding the orchestrator's stop."""
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _store_waiting(self) -> None:
        delay = self._retry_first
        while self._newest is not None:
            plan, self._newest = self._newest, None
            try:
                await asyncio.to_thread(self._store_plan, plan)
            except StorageFull as full:
                if self._newest is None:
                    self._newest = plan  # still the newest: it waits for space
                if self._stopping.is_set():
                    log.warning("plan v%d not stored on stop: %s", plan.version, full.message)
                    return
                self._notice.full(full)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(self._retry_longest, delay * 2)
                continue
            except Exception:  # a bug; the factory goes on, and so do later plans
                log.exception("storing plan v%d failed", plan.version)
                continue
            delay = self._retry_first
            self._notice.cleared()
