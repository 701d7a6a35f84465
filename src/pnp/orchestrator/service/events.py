"""The event log: every decision, numbered without gaps, stored, and streamed live.

``emit`` is synchronous and cheap (callers are often in the middle of a decision): it
numbers the event and queues it; a writer task commits queued events in batches. A
watcher first replays from the store, then follows live events; ``WatchEvents`` and
``pnp events --follow`` sit on ``watch``.

Watchers only ever see committed events. An event still queued when the process is
killed is lost together with its number (the next start numbers on from the store),
so no one was ever shown a sequence number that later means something else, and the
stored log has no gaps.

A batch the store refuses (the disk is full, the database unreachable) stays pending,
in order, ahead of anything emitted since; the writer tries again every
``RETRY_SECONDS`` without waiting for a new event, so the log catches up by itself
once space returns, and the stored sequence still has no gaps. Watchers meanwhile see
what was committed before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator

from pnp.orchestrator.clock import Clock
from pnp.orchestrator.domain.events import Event
from pnp.orchestrator.errors import PnpError
from pnp.orchestrator.security.audit import current_actor
from pnp.orchestrator.store.database import EventStore

log = logging.getLogger(__name__)

RECENT = 10_000  # events kept in memory for live watchers that fall a little behind
RETRY_SECONDS = 0.5  # how soon a refused batch is tried again


class EventLog:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._sequence = store.last_sequence()
        self._committed = self._sequence
        self._pending: list[Event] = []
        self._recent: deque[Event] = deque(maxlen=RECENT)
        self._changed = asyncio.Condition()
        self._flush_wanted = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._writer: asyncio.Task | None = None

    @property
    def last_sequence(self) -> int:
        return self._sequence

    @property
    def unstored(self) -> int:
        """Events emitted and not (yet) committed to the store."""
        return len(self._pending)

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write(), name="event-writer")

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.flush()

    def emit(self, kind: str, subject: str, message: str) -> Event:
        self._sequence += 1
        # The caller of the call being served, if any (security.audit): the audit trail.
        event = Event(
            self._sequence, self._clock.now(), kind, subject, message, current_actor.get()
        )
        self._pending.append(event)
        self._recent.append(event)
        self._flush_wanted.set()
        log.info("event %d %s %s: %s", event.sequence, kind, subject, message)
        return event

    async def flush(self) -> None:
        # One flush at a time: batches commit in sequence order, so a failed batch can
        # never leave a later one stored behind a hole.
        async with self._flushing:
            batch, self._pending = self._pending, []
            if not batch:
                return
            writing = asyncio.ensure_future(asyncio.to_thread(self._store.append, batch))
            try:
                # A cancelled flush still lets its commit finish: the thread cannot be
                # stopped, and a retry racing it would store the batch twice.
                await asyncio.shield(writing)
            except asyncio.CancelledError:
                await asyncio.wait({writing})
                if writing.exception() is not None:
                    self._pending[:0] = batch
                raise
            except Exception:
                self._pending[:0] = batch  # kept, in order, for the next flush
                raise
            async with self._changed:
                self._committed = batch[-1].sequence
                self._changed.notify_all()

    async def _write(self) -> None:
        refused = False
        while True:
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            try:
                await self.flush()
            except PnpError as error:  # full disk, lost lead: kept, tried again below
                if not refused:
                    log.warning("events kept in memory, not yet stored: %s", error.message)
                refused = True
            except Exception:  # keep the log going; the next flush retries nothing lost
                log.exception("could not store events")
                refused = True
            else:
                if refused:
                    log.warning("stored the events kept while the store refused them")
                refused = False
            if refused:
                self._flush_wanted.set()  # retry without waiting for a new event
                await asyncio.sleep(RETRY_SECONDS)
            else:
                await asyncio.sleep(0.05)  # batch the next burst

    async def watch(self, after: int = 0, follow: bool = True) -> AsyncIterator[Event]:
        """Events after ``after`` in order; with ``follow``, then live ones as they come."""
        with contextlib.suppress(PnpError):  # not storable now: replay what is stored
            await self.flush()
        cursor = after
        while True:
            stored = await asyncio.to_thread(self._store.after, cursor)
            for event in stored:
                cursor = event.sequence
                yield event
            if len(stored) < 10_000:
                break
        if not follow:
            return
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda seen=cursor: self._committed > seen)
            committed = self._committed
            for event in list(self._recent):
                if cursor < event.sequence <= committed:
                    cursor = event.sequence
                    yield event
