"""The event log as server-sent events: what makes the console live without polling.

Each browser tab gets its own watch on the event log (``EventLog.watch``: replay from
the store, then follow), starting after the ``Last-Event-ID`` its ``EventSource`` sends
on reconnect, so a dropped connection resumes where it stopped and loses nothing. A
comment line every few seconds keeps idle connections open through proxies and lets
the server notice a tab that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.web.documents import event_document

KEEPALIVE_SECONDS = 5.0
REPLAYED_BY_DEFAULT = 200  # a fresh tab sees this many past events, then live ones


class StreamCursors:
    """The open streams: where each is (so /metrics can say how far behind the slowest
    is), and the switch that ends them all when the console stops."""

    def __init__(self) -> None:
        self._cursors: dict[int, int] = {}
        self.closing = asyncio.Event()

    def close(self) -> None:
        """Ends every open stream (browsers reconnect to whoever serves next)."""
        self.closing.set()

    def __len__(self) -> int:
        return len(self._cursors)

    def lag(self, last_sequence: int) -> int:
        """Events emitted that the slowest open stream has not sent yet (0 with none)."""
        if not self._cursors:
            return 0
        return max(last_sequence - min(self._cursors.values()), 0)

    @contextlib.contextmanager
    def tracking(self, start: int):
        key = id(object())  # unique while the stream is open
        self._cursors[key] = start

        def moved(sequence: int) -> None:
            self._cursors[key] = sequence

        try:
            yield moved
        finally:
            del self._cursors[key]


def first_sequence(factory: Factory, last_event_id: str | None, after: str | None) -> int:
    """Resume after the browser's Last-Event-ID, else ``?after=``, else the recent past."""
    for given in (last_event_id, after):
        if given is not None and given.strip().isdigit():
            return int(given.strip())
    return max(factory.events.last_sequence - REPLAYED_BY_DEFAULT, 0)


async def event_stream(factory: Factory, after: int, cursors: StreamCursors) -> AsyncIterator[str]:
    """``id:``/``event:``/``data:`` frames for every event after ``after``, for ever."""
    queue: asyncio.Queue = asyncio.Queue(maxsize=1000)

    async def follow() -> None:
        async for event in factory.events.watch(after, follow=True):
            await queue.put(event)

    follower = asyncio.create_task(follow(), name="console-event-stream")
    closing = asyncio.create_task(cursors.closing.wait(), name="console-stream-closing")
    try:
        with cursors.tracking(after) as moved:
            yield "retry: 1000\n\n"  # reconnect after a second, not the browser's 3-5 s
            while True:
                taken = asyncio.create_task(queue.get())
                await asyncio.wait(
                    {taken, closing, follower},
                    timeout=KEEPALIVE_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not taken.done():
                    taken.cancel()
                    if closing.done():
                        return
                    if follower.done():
                        follower.result()  # the log stopped: end the stream with its cause
                        return
                    yield ": keep-alive\n\n"
                    continue
                event = taken.result()
                moved(event.sequence)
                data = json.dumps(event_document(event), separators=(",", ":"))
                yield f"id: {event.sequence}\nevent: pnp\ndata: {data}\n\n"
    finally:
        follower.cancel()
        closing.cancel()
        await asyncio.gather(follower, closing, return_exceptions=True)
