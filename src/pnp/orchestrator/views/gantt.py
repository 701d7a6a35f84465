"""Gantt charts: one lane per module, one bar per operation (a plan) or attempt (history).

``render.write_gantt(chart, path)`` picks the renderer by the file's suffix: an interactive,
self-contained HTML page (``gantt_page``) or an SVG/PNG picture (``gantt_figure``).
Every bar carries its ``identifier`` into the file (the SVG element's id, the page's
DOM), so a reader or a test can tell which operation each bar is.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


class BarStatus(enum.Enum):
    PLANNED = "planned"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"  # interrupted or failed: the work was done again elsewhere


@dataclass(frozen=True)
class GanttBar:
    """One bar; times are seconds after the chart's origin (factory time)."""

    lane: str  # the module
    start: float
    end: float
    order_id: str
    operation_id: str
    label: str  # shown on hover and, where it fits, on the bar
    status: BarStatus = BarStatus.PLANNED
    identifier: str = ""  # unique per bar; the operation id when empty

    @property
    def key(self) -> str:
        return self.identifier or self.operation_id


@dataclass(frozen=True)
class GanttChart:
    title: str
    origin: datetime  # time zero of the axis
    bars: Sequence[GanttBar]
    lanes: Sequence[str] = ()  # every lane to show, in order (bars' lanes are added)
    now: float | None = None  # seconds after origin; drawn as a line when given
    notes: Sequence[str] = field(default_factory=tuple)  # shown under the title
    until: float | None = None  # axis end at least this far (to compare two charts)

    @property
    def lane_order(self) -> list[str]:
        seen = dict.fromkeys(self.lanes)
        for bar in sorted(self.bars, key=lambda b: b.lane):
            seen.setdefault(bar.lane)
        return list(seen)

    @property
    def span(self) -> tuple[float, float]:
        marks = [m for m in (self.now, self.until) if m is not None]
        starts = [b.start for b in self.bars] + marks
        ends = [b.end for b in self.bars] + marks
        if not starts:
            return 0.0, 3600.0
        return min(0.0, min(starts)), max(max(ends), 1.0)
