"""Maintenance windows as the scheduler sees them: the time a module is available.

A window is ``[start, end)`` in factory time. The module takes no new work inside it;
work it is running when the window opens finishes first (nobody stops a job half-way
to service a machine), so the window starts, for the plan, when that work ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from pnp import scheduler

MaintenanceWindow = tuple[datetime, datetime]


def availability(
    windows: Sequence[MaintenanceWindow], origin: datetime, busy_until: int = 0
) -> tuple[scheduler.Window, ...] | None:
    """The module's availability around ``windows`` (seconds from ``origin``), or None
    (always available) when no window lies ahead. ``busy_until``: when the work the
    module is running (frozen in the plan) ends."""
    spans = []
    for start, end in sorted(windows):
        begin = max(math.floor((start - origin).total_seconds()), busy_until, 0)
        finish = math.ceil((end - origin).total_seconds())
        if finish > begin:
            spans.append((begin, finish))
    if not spans:
        return None
    merged: list[tuple[int, int]] = []
    for begin, finish in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    open_from: int | None = None
    available = []
    for begin, finish in merged:
        if open_from is None or begin > open_from:
            available.append(scheduler.Window(open_from, begin))
        open_from = finish
    available.append(scheduler.Window(open_from, None))
    return tuple(w for w in available if w.start is None or w.end is None or w.end > w.start)
