"""A readable factory-time axis: ticks at round steps after the plan's origin."""

from __future__ import annotations

import math

# Round steps, in seconds, from a second to a week.
STEPS = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172800,
    604800,
)
MAX_TICKS = 10


def tick_step(span_seconds: float) -> int:
    """The smallest round step that needs at most ``MAX_TICKS`` ticks over the span."""
    for step in STEPS:
        if span_seconds / step <= MAX_TICKS:
            return step
    return STEPS[-1] * math.ceil(span_seconds / (STEPS[-1] * MAX_TICKS))


def ticks(start_seconds: float, end_seconds: float) -> list[tuple[float, str]]:
    """(position, label) pairs covering [start, end], labels like ``+1:30`` (h:mm)."""
    span = max(end_seconds - start_seconds, 1.0)
    step = tick_step(span)
    first = math.floor(start_seconds / step) * step
    count = math.ceil((end_seconds - first) / step)
    return [(first + i * step, offset_label(first + i * step, step)) for i in range(count + 1)]


def offset_label(seconds: float, step: int) -> str:
    """``+h:mm``; with seconds when the step is under a minute; days as ``+2d 3:00``."""
    sign = "-" if seconds < 0 else "+"
    total = round(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}" + (f":{secs:02d}" if step < 60 else "")
    return f"{sign}{days}d {text}" if days else f"{sign}{text}"
