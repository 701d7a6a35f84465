"""One machine's bookings, and the earliest time a new operation fits on it.

The dispatch heuristic asks each candidate machine "when could this start, at the
earliest?" and books the answer it picks. A timeline knows the machine's capacity,
availability windows and changeovers:

- unit machines without changeovers fill gaps (an operation may slot in before work
  booked later), which keeps greedy schedules compact;
- machines with changeovers only append, since slotting in would change the
  changeovers of the operations around the gap;
- batch machines (capacity > 1) count what runs at once; zero-length operations
  take no capacity there, as in CP-SAT's cumulative constraint.

On a 10,000-operation factory the dispatcher asks this half a million times, so the
question is answered by a function chosen once per machine (most machines are unit
machines without windows: one bisect and a short scan), and ``version`` counts the
bookings, so a caller may keep an answer until the machine changes.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from pnp.scheduler.problem import Machine


class MachineTimeline:
    def __init__(self, machine: Machine) -> None:
        self.capacity = machine.capacity
        self._windows = machine.availability
        self._starts: list[int] = []  # bookings sorted by start, in parallel lists
        self._ends: list[int] = []
        # Append-only machines: end and family of the last booking.
        self.last_end: int | None = None
        self._last_family: str | None = None
        # The first listed changeover of each pair, as ``Machine.changeover`` finds it.
        self._changeovers: dict[tuple[str, str], int] = {}
        for c in machine.changeovers:
            self._changeovers.setdefault((c.from_family, c.to_family), c.seconds)
        self.appends_only = machine.has_changeovers
        self._unit = machine.capacity == 1
        self._longest = 0  # longest booking so far: older starts cannot reach past it
        self.version = 0  # bookings so far: an answer holds until this changes
        # Whether the earliest start for a given ready time can only move later as
        # bookings come: true of gap filling and batch machines, since bookings only
        # take time away, as long as every booking is clear of the others (a
        # zero-length one on a unit machine might sit inside another, if frozen so).
        # Not of append-only machines: a booking may change the family to one with a
        # shorter changeover. The dispatcher relies on it to defer work.
        self.monotone = not self.appends_only

    @property
    def earliest_start(self) -> Callable[[int, int, str | None], int | None]:
        """``earliest_start(ready, duration, family)``: the earliest start >= ``ready``
        where the operation fits, None if it never does. The function depends on the
        kind of machine only: callers asking often may keep it."""
        if self._unit and not self.appends_only and self._windows is None:
            return self._first_gap
        if self.appends_only:
            return self._earliest_after_last
        return self._earliest_in_windows

    def book(self, start: int, end: int, family: str | None) -> None:
        k = bisect.bisect_right(self._starts, start)
        self._starts.insert(k, start)
        self._ends.insert(k, end)
        if self.last_end is None or end >= self.last_end:
            # A zero-length operation without a family changes nothing on the machine:
            # it keeps the family before it (the checker orders operations that start
            # together by end and index, so it may come before the next one or after).
            if family is not None or end > start or self.last_end is None:
                self._last_family = family
            self.last_end = end
        if end - start > self._longest:
            self._longest = end - start
        elif end == start and self._unit:
            self.monotone = False
        self.version += 1

    def _earliest_after_last(self, ready: int, duration: int, family: str | None) -> int | None:
        """Append-only machine: after the last booking and its changeover, in a window."""
        last_end = self.last_end
        if last_end is not None:
            last_family = self._last_family
            if last_family is not None and family is not None:
                last_end += self._changeovers.get((last_family, family), 0)
            if last_end > ready:
                ready = last_end
            return self._fit_in_window(ready, duration)
        # Nothing booked yet: the general search (nothing clashes, only windows count).
        return self._earliest_in_windows(ready, duration, family)

    def _earliest_in_windows(self, ready: int, duration: int, family: str | None) -> int | None:
        t: int | None = ready
        while t is not None:
            t = self._fit_in_window(t, duration)
            if t is None:
                return None
            if self._unit and not self.appends_only:
                fits = self._first_gap(t, duration)
                if fits == t or self._windows is None:
                    return fits  # without windows, a gap is the answer
                t = fits
                continue
            clash_end = self._first_clash_end(t, duration)
            if clash_end is None:
                return t
            t = clash_end
        return None

    def _first_gap(self, t: int, duration: int, family: str | None = None) -> int:
        """Unit machine: the earliest start >= ``t`` clear of every booking, in one pass
        over the bookings from the one that may be running at ``t`` (the same overlap
        rule as the checker: a zero-length operation may touch others)."""
        starts, ends = self._starts, self._ends
        k = bisect.bisect_left(starts, t) - 1
        k = bisect.bisect_left(starts, starts[k]) if k >= 0 else 0
        count = len(starts)
        while k < count and starts[k] < t + duration:
            if t < ends[k]:
                t = ends[k]
            k += 1
        return t

    def _fit_in_window(self, t: int, duration: int) -> int | None:
        if self._windows is None:
            return t
        for window in self._windows:
            start = t if window.start is None else max(t, window.start)
            if window.end is None or start + duration <= window.end:
                return start
        return None

    def _first_clash_end(self, t: int, duration: int) -> int | None:
        """Where to try next if ``[t, t + duration)`` clashes with bookings, else None."""
        if self.appends_only and self.last_end is not None:
            return None  # append-only: ``t`` is already after everything booked
        end = t + duration
        if self.capacity == 1:
            # Same overlap rule as the checker: a zero-length operation may touch others.
            # The booking that starts last before t may still run at t; bookings sharing
            # its start (zero-length ones) are scanned too.
            k = bisect.bisect_left(self._starts, t) - 1
            k = bisect.bisect_left(self._starts, self._starts[k]) if k >= 0 else 0
            while k < len(self._starts) and self._starts[k] < end:
                if t < self._ends[k] and self._starts[k] < end:
                    return self._ends[k]
                k += 1
            return None
        if duration == 0:
            return None
        return self._first_overload_end(t, end)

    def _first_overload_end(self, t: int, end: int) -> int | None:
        # Only bookings starting after t - longest can still run at t.
        first = bisect.bisect_left(self._starts, t - self._longest)
        last = bisect.bisect_left(self._starts, end)
        overlapping = [
            (s, e)
            for s, e in zip(self._starts[first:last], self._ends[first:last], strict=True)
            if t < e and e > s
        ]
        if len(overlapping) < self.capacity:
            return None
        # Sweep the bookings inside [t, end); at the first overload, retry after the
        # earliest of the running bookings ends.
        events = sorted(
            [(max(s, t), 1, e) for s, e in overlapping] + [(e, -1, e) for _, e in overlapping]
        )
        running: list[int] = []
        for _, change, e in events:
            if change == 1:
                running.append(e)
                if len(running) >= self.capacity:
                    return min(running)
            else:
                running.remove(e)
        return None
