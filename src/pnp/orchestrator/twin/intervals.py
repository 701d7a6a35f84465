"""Sets of time as sorted, disjoint half-open intervals of seconds: union, intersection,
difference and measure, which is all the metering needs to split a module's hours by
state without double counting."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

Spans = tuple[tuple[float, float], ...]


def seconds(at: datetime) -> float:
    return at.timestamp()


def union(intervals: Iterable[tuple[float, float]]) -> Spans:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def intersect(a: Spans, b: Spans) -> Spans:
    out: list[tuple[float, float]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: Spans, b: Spans) -> Spans:
    out: list[tuple[float, float]] = []
    for start, end in a:
        cursor = start
        for cut_start, cut_end in b:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                out.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            out.append((cursor, end))
    return tuple(out)


def measure(spans: Spans) -> float:
    return sum(end - start for start, end in spans)
