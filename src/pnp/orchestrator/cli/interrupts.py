"""Ctrl-C as the way a follow-forever command ends: quietly, with exit 0.

Click turns a KeyboardInterrupt into "aborted" and exit 1, which is right for a command
cut short but wrong for one whose only way to end is Ctrl-C (`pnp events --follow`):
there, SIGINT (and SIGTERM) cancel the work, and the command returns normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine


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
