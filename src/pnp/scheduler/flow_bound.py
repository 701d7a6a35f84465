"""A makespan bound from upstream throughput: a machine group cannot work on what its
feeders have not delivered yet.

The head-load-tail bound (``lower_bound``) lets every operation of a group start at
its own head, as if the stages before it had unlimited capacity. On a factory line
the last stage (packing) stands idle at the start until the stages before it have
pushed work through, and no single chain shows that. This bound counts instead:

- ``started_before(D)(s)``: at most how many operations of a set ``D`` can start
  before time ``s``. An operation cannot start before its head, nor before its
  *feeder* (one chosen predecessor, the one that makes it latest) has finished and
  waited its least delay and transport; the feeders of ``D`` in one machine group
  can have finished no more of them than ``finished_by`` allows there.
- ``finished_by(D)(t)``: at most how many operations of ``D`` can have finished by
  ``t``. For any ``s <= t``: those that started before ``s`` (counted above), plus
  those that started at or after ``s``, whose work fits in ``capacity * (t - s)`` of
  the group's machines (at most as many as the shortest of them fill).
- The bound: for a machine group and a time ``s``, the operations not started before
  ``s`` all run between ``s`` and the makespan minus their tail, so the makespan is at
  least ``s`` plus their least work over the group's capacity plus the least tail.

Both counts recurse up the feeder chains (a set's feeders form a set one stage up),
memoised per set. The same argument on the mirrored problem (successors for
predecessors, tails for heads) bounds the ramp-down at the end of the plan.
Times are sampled on a grid; any grid gives a valid bound, a count at a time between
two grid points is read at the later one (counts only grow with time).

What is left out only lowers the bound: changeovers, availability windows, frozen
operations' machine time (a frozen operation counts as always finished), all but one
predecessor per operation, and which of the shortest operations could really be
finished together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Grid points per bound: the counts are O(grid^2) per set of operations.
_GRID = 120
# Sets whose counts are computed (recursing up the feeders), and how many stages up;
# beyond either a set's starts are counted by heads alone, which stays valid, keeps
# 10,000 operations cheap and a long chain of steps within the stack's depth.
_MAX_SETS = 600
_MAX_STAGES = 12

Counts = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Flow:
    """Operations seen for the count: a direction of time (forward or mirrored)."""

    duration: Sequence[int]  # shortest mode
    ready: Sequence[int]  # earliest start (head; the tail when mirrored)
    after: Sequence[int]  # least time after its end (tail; the head when mirrored)
    feeder: Sequence[int | None]  # the one predecessor counted (None: none, or frozen)
    wait: Sequence[int]  # least delay + transport after the feeder's end
    group: Sequence[int]  # machine group (index into capacity)
    capacity: Sequence[int]  # operations a group can run at once
    live: Sequence[bool]  # False for frozen operations (always counted as finished)


def throughput_bound(flow: Flow, horizon: int) -> int:
    """max over groups and grid times s of s + least work not started by s / capacity
    + least tail; 0 if nothing is gained."""
    if horizon <= 0:
        return 0
    counter = _Counter(flow, np.unique(np.linspace(0, horizon, _GRID).astype(np.int64)))
    members: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(flow.group):
        if flow.live[i]:
            members[g].append(i)
    best = 0
    for g, ops in members.items():
        left = len(ops) - counter.started_before(tuple(ops))  # start at s or later
        work = _least_work_left(flow, ops, counter.grid, left)
        capacity = flow.capacity[g]
        # The work left spread over the whole group, or the operations left shared out
        # over its capacity units: one unit runs at least ceil(left / capacity) of them
        # in a row (a machine of capacity k is k units: k overlapping intervals at most).
        shortest_first = np.concatenate(([0], np.cumsum(np.sort([flow.duration[i] for i in ops]))))
        spread = -(-work // capacity)
        in_a_row = shortest_first[-(-left // capacity)]
        bounds = counter.grid + np.maximum(spread, in_a_row) + min(flow.after[i] for i in ops)
        # Where every operation may have started before s, s bounds nothing.
        best = max(best, int(bounds[left > 0].max(initial=0)))
    return best


def _least_work_left(flow: Flow, ops: list[int], grid: Counts, left: Counts) -> Counts:
    """Per grid time s, the least work of ``left[s]`` operations of ``ops`` that start
    at s or later: all those whose head is s or later, and the shortest of the others
    for the rest (``started_before`` never counts more than the heads allow)."""
    by_ready = sorted(ops, key=lambda i: flow.ready[i])
    ready = np.array([flow.ready[i] for i in by_ready], dtype=np.int64)
    durations = np.array([flow.duration[i] for i in by_ready], dtype=np.int64)
    later_work = np.concatenate((np.cumsum(durations[::-1])[::-1], [0]))
    work = np.zeros(len(grid), dtype=np.int64)
    for k, s in enumerate(grid):
        early = int(np.searchsorted(ready, s, side="left"))  # heads before s
        unknown = int(left[k]) - (len(ops) - early)
        work[k] = later_work[early]
        if unknown > 0:
            work[k] += int(np.sort(durations[:early])[:unknown].sum())
    return work


class _Counter:
    def __init__(self, flow: Flow, grid: Counts) -> None:
        self.flow = flow
        self.grid = grid
        self._finished: dict[tuple[int, ...], Counts] = {}
        self._started: dict[tuple[int, ...], Counts] = {}

    def started_before(self, ops: tuple[int, ...], stage: int = 0) -> Counts:
        """Per grid time s, at most how many of ``ops`` (live) start before s;
        ``stage`` counts the feeder steps taken up from the group bounded."""
        known = self._started.get(ops)
        if known is not None:
            return known
        flow = self.flow
        by_feeder_group: dict[int | None, list[int]] = defaultdict(list)
        for i in ops:
            feeder = flow.feeder[i]
            by_feeder_group[None if feeder is None else flow.group[feeder]].append(i)
        total = np.zeros(len(self.grid), dtype=np.int64)
        for feeder_group, part in by_feeder_group.items():
            ready = np.sort(np.array([flow.ready[i] for i in part], dtype=np.int64))
            count = np.searchsorted(ready, self.grid, side="left").astype(np.int64)
            deeper = stage < _MAX_STAGES and len(self._started) < _MAX_SETS
            if feeder_group is not None and deeper:
                count = np.minimum(count, self._unlocked(part, stage + 1))
            total += count
        self._started[ops] = total
        return total

    def _unlocked(self, part: list[int], stage: int) -> Counts:
        """Per grid time s, at most how many of ``part`` have their feeder finished
        ``wait`` before s: k finished feeders unlock at most their k largest fan-outs."""
        flow = self.flow
        fan_out: dict[int, int] = defaultdict(int)
        for i in part:
            feeder = flow.feeder[i]
            assert feeder is not None
            fan_out[feeder] += 1
        feeders = tuple(sorted(fan_out))
        finished = self.finished_by(feeders, stage)
        least_wait = min(flow.wait[i] for i in part)
        unlocked_by = np.concatenate(([0], np.cumsum(sorted(fan_out.values(), reverse=True))))
        return unlocked_by[_read_at(self.grid, finished, self.grid - least_wait, len(feeders))]

    def finished_by(self, ops: tuple[int, ...], stage: int) -> Counts:
        """Per grid time t, at most how many of ``ops`` (live) have finished by t."""
        known = self._finished.get(ops)
        if known is not None:
            return known
        flow = self.flow
        capacity = flow.capacity[flow.group[ops[0]]]
        started = self.started_before(ops, stage)
        by_earliest_end = sorted(ops, key=lambda i: flow.ready[i] + flow.duration[i])
        earliest_end = np.array([flow.ready[i] + flow.duration[i] for i in by_earliest_end])
        durations = np.array([flow.duration[i] for i in by_earliest_end], dtype=np.int64)
        result = np.empty(len(self.grid), dtype=np.int64)
        for k, t in enumerate(self.grid):
            # Only operations whose head and duration allow it can finish by t; those
            # that started at s or later fit their work in capacity * (t - s).
            possible = int(np.searchsorted(earliest_end, t, side="right"))
            fill = np.cumsum(np.sort(durations[:possible]))
            spans = t - self.grid[: k + 1]
            # By work (capacity * span) and by count (each unit runs in a row at most
            # as many as the shortest fill the span).
            late = np.minimum(
                np.searchsorted(fill, capacity * spans, side="right"),
                capacity * np.searchsorted(fill, spans, side="right"),
            )
            result[k] = min(possible, int((started[: k + 1] + late).min()))
        self._finished[ops] = result
        return result


def _read_at(grid: Counts, counts: Counts, times: Counts, everything: int) -> Counts:
    """A count at arbitrary times: its value at the first grid time not before them
    (an upper bound, counts only grow); past the grid, ``everything``."""
    padded = np.append(counts, everything)
    return padded[np.searchsorted(grid, times, side="left")]


def chosen_feeders(
    predecessors: Sequence[Sequence[tuple[int, int]]],
    latest: Callable[[int, int], int],
) -> tuple[list[int | None], list[int]]:
    """Per operation, the predecessor (with its wait) that ``latest(pred, wait)`` ranks
    highest, or None without one."""
    feeder: list[int | None] = []
    wait: list[int] = []
    for before in predecessors:
        if not before:
            feeder.append(None)
            wait.append(0)
            continue
        p, w = max(before, key=lambda pair: latest(*pair))
        feeder.append(p)
        wait.append(w)
    return feeder, wait
