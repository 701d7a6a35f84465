"""Ctrl-C as the way a follow-forever command ends: quietly, with exit 0.

Click turns a KeyboardInterrupt into "aborted" and exit 1, which is right for a command
cut short but wrong for one whose only way to end is Ctrl-C (`pnp events --follow`):
there, SIGINT (and SIGTERM) cancel the work, and the command returns normally.

A server (`pnp serve`) stops in steps instead (``GracefulStop``): the first signal asks
it to stop, a second one forces it out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine


async def until_interrupted(work: Coroutine) -> None:
    """Awaits ``work`` until it ends or SIGINT/SIGTERM arrives; either way, returns."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


FORCED_EXIT = 130  # as a shell reports a process ended by Ctrl-C


class GracefulStop:
    """SIGINT/SIGTERM as a request to stop a server gracefully (`pnp serve`).

    The first signal sets ``requested`` and, there and then, calls the actions given to
    ``at_once`` (so that nothing else runs on the loop between the signal and them: a
    dispatcher halted here sends nothing more). A second signal while stopping forces
    the process out at once, quietly, with ``FORCED_EXIT``: nothing more is written, as
    after a crash, which the next start recovers from.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, forced_message: str) -> None:
        self.requested = asyncio.Event()
        self._forced_message = forced_message
        self._actions: list[Callable[[], None]] = []

    def install(self) -> None:
        """On the running loop; before the process says it serves, so that a signal
        right after that line already takes this path."""
        loop = asyncio.get_running_loop()
        for signum in self.SIGNALS:
            loop.add_signal_handler(signum, self._signalled)

    def at_once(self, action: Callable[[], None]) -> None:
        """``action()`` on the first signal (now, if it has come already)."""
        self._actions.append(action)
        if self.requested.is_set():
            action()

    def _signalled(self) -> None:
        if self.requested.is_set():
            _force_exit(self._forced_message)
        self.requested.set()
        # The second signal must act at once, and the stop blocks the loop in steps that
        # are synchronous (joining the lease keeper, giving the lease back, the store's
        # checkpoint): a loop callback would wait for them. A plain handler runs in the
        # main thread between bytecodes (this callback runs there too: asyncio's signal
        # handlers are the main thread's).
        for signum in self.SIGNALS:
            signal.signal(signum, self._forced)
        for action in self._actions:
            action()

    def _forced(self, _signum: int, _frame: object) -> None:
        _force_exit(self._forced_message)


def _force_exit(message: str) -> None:
    # Not SystemExit: unwinding would wait for the very tasks and threads (a solve, a
    # stuck link) that made someone press Ctrl-C twice.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(Exception):
        os.write(2, f"{message}\n".encode())
    os._exit(FORCED_EXIT)
