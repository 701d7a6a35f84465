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
"""

from __future__ import annotations

import bisect

from pnp.scheduler.problem import Machine


class MachineTimeline:
    def __init__(self, machine: Machine) -> None:
        self._machine = machine
        self._windows = machine.availability
        self._starts: list[int] = []  # bookings sorted by start, in parallel lists
        self._ends: list[int] = []
        self._last_end: int | None = None  # append-only machines: end of the last booking
        self._last_family: str | None = None
        # Asked hundreds of thousands of times on large factories: computed once.
        self.appends_only = machine.has_changeovers
        self._unit = machine.capacity == 1
        self._longest = 0  # longest booking so far: older starts cannot reach past it

    def earliest_start(self, ready: int, duration: int, family: str | None) -> int | None:
        """Earliest start >= ``ready`` where the operation fits; None if it never does."""
        if self.appends_only and self._last_end is not None:
            ready = max(ready, self._last_end + self._machine.changeover(self._last_family, family))
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

    def _first_gap(self, t: int, duration: int) -> int:
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

    def book(self, start: int, end: int, family: str | None) -> None:
        k = bisect.bisect_right(self._starts, start)
        self._starts.insert(k, start)
        self._ends.insert(k, end)
        if self._last_end is None or end >= self._last_end:
            self._last_end, self._last_family = end, family
        self._longest = max(self._longest, end - start)

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
        if self.appends_only and self._last_end is not None:
            return None  # append-only: ``t`` is already after everything booked
        end = t + duration
        if self._machine.capacity == 1:
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
        if len(overlapping) < self._machine.capacity:
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
                if len(running) >= self._machine.capacity:
                    return min(running)
            else:
                running.remove(e)
        return None
