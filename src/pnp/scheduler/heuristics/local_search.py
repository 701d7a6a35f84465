"""Tabu search on critical operations: the fast improver for makespan problems.

CP-SAT proves bounds well but, on two workers, improves large flexible job shops
slowly (its neighbourhood search gets one thread, shared by a dozen strategies).
This search does one thing quickly: take an operation on the longest path and
re-insert it, on its own machine or another of its modes, where the estimated
longest path through it is shortest (the classic move of Mastrolilli and
Gambardella's FJSP tabu search). Estimates use the current heads and tails, so
thousands of moves are scored per second; only the chosen one is timed exactly.
On instances with few modes per operation it also makes the job-shop moves within
a critical block (to its front or back), estimated by re-timing the block; plain
re-insertion estimates count the moved operation twice on its own machine.
A tabu list forbids putting an operation straight back where it came from or
restoring the order of the operations it passed, and an operation that just moved
may not move again for a few iterations.

It applies when the makespan is the only thing measured (no scored due dates, no
previous plan) on unit-capacity machines without availability windows or frozen
operations, since that is what the head/tail estimates describe; ``solve`` uses
it only then. Precedence delays, transport and changeovers are supported.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections.abc import Callable, Iterator

from pnp.scheduler.heuristics.disjunctive_graph import DisjunctiveGraph, Sequencing, Timing
from pnp.scheduler.model.objective import stability_candidates
from pnp.scheduler.model.variables import scored_jobs
from pnp.scheduler.problem import Objective, Problem
from pnp.scheduler.result import ScheduledOperation

_Schedule = tuple[ScheduledOperation, ...]
# (estimate, tie-break (see _scored_moves), operation, machine, duration, family,
# operation it goes after or -1)
_Move = tuple[int, float, int, int, int, str | None, int]

# An operation that just moved stays put for this many iterations (unless moving it
# promises a new best): without it the search keeps shuffling the same few operations
# on short critical paths (mk04, mk07 gained 5-7 % on measurement, the others held).
_SETTLE = 10
# Iterations without a new best before the search restarts from its best plan kicked
# by a few random moves (at least this many; ten per operation on large instances,
# where restarting cost more than it found at 5-10 s: dpp07a, behnke31). Without
# restarts it stalled for good within a tenth of a second on low-flexibility
# instances (seti5xyz at 1222-1225 for 5 s, 1156-1190 with; la38_sdata 1250-1364,
# 1248-1261 with).
_STALL = 1000
_KICK = (2, 4)  # how many random moves a restart makes
_REACH = 6  # see _block_moves
# Block moves only up to this mean number of modes per operation: on Behnke-Geiger
# (6-22) they doubled the time a move takes and lost (behnke17 after 3 CPU s: 462-463
# with, 449-451 without); up to Brandimarte's 3-4 and on job shops they pay (mk10
# 201-202 against 204-205, abz9_sdata 711-726 against 733-742).
_BLOCK_FLEXIBILITY = 4.0


def local_search_applies(problem: Problem) -> bool:
    return (
        Objective.MAKESPAN in problem.objectives
        and not scored_jobs(problem)
        and not stability_candidates(problem)
        and all(m.capacity == 1 and m.availability is None for m in problem.machines)
        and all(op.frozen is None for op in problem.operations)
    )


def improve(
    problem: Problem,
    schedule: _Schedule,
    *,
    seed: int,
    should_stop: Callable[[], bool],
    on_improvement: Callable[[_Schedule], object],
) -> _Schedule:
    """Improve ``schedule``'s makespan until ``should_stop()`` says so."""
    graph = DisjunctiveGraph(problem)
    current = graph.sequencing_of(schedule)
    timing = graph.timing(current)
    assert timing is not None, "a valid schedule gives an acyclic graph"
    best, best_timing = current.copy(), timing
    rng = random.Random(seed)
    tabu: dict[tuple[int, int, int], int] = {}
    moved_at: dict[int, int] = {}  # operation -> iteration it last moved
    # (x, y) -> until when putting x before y again on a machine is tabu: without it
    # the search undid a block move by moving the other operation back (abz9_sdata).
    orders: dict[tuple[int, int], int] = {}
    iteration = 0
    stalled = 0  # iterations since the last new best
    stall_limit = max(_STALL, 10 * len(problem.operations))
    modes = sum(len(op.modes) for op in problem.operations)
    with_blocks = modes <= _BLOCK_FLEXIBILITY * len(problem.operations)
    while not should_stop():
        iteration += 1
        if stalled >= stall_limit:
            # Stuck in one valley: restart from the best with a few random moves.
            current, timing = _kicked(graph, best, best_timing, rng, with_blocks)
            tabu.clear()
            moved_at.clear()
            orders.clear()
            stalled = 0
        stalled += 1
        moves, critical = _scored_moves(graph, current, timing, rng, block_moves=with_blocks)
        applied = None
        for estimate, _, v, machine, duration, family, after in _best_first(moves):
            is_tabu = (
                tabu.get((v, machine, after), 0) >= iteration
                or moved_at.get(v, -_SETTLE) > iteration - _SETTLE
                or any(
                    orders.get(pair, 0) >= iteration
                    for pair in _orders_made(current, v, machine, after)
                )
            )
            if is_tabu and estimate >= best_timing.makespan:
                continue  # tabu, and not promising enough to override it (aspiration)
            candidate = _moved(current, v, machine, duration, family, after)
            candidate_timing = graph.timing(candidate)
            if candidate_timing is not None:
                applied = (candidate, candidate_timing, v, machine, after)
                break
        if applied is None:
            tabu.clear()  # every move is tabu or infeasible: forget and try again
            orders.clear()
            continue
        candidate, candidate_timing, v, machine, after = applied
        # Forbid putting v back after its old machine predecessor for a while, and
        # restoring the order of the operations it passed.
        tenure = rng.randint(10, 10 + critical // 2)
        tabu[(v, current.machine[v], timing.previous[v])] = iteration + tenure
        for x, y in _orders_made(current, v, machine, after):
            orders[(y, x)] = iteration + tenure
        moved_at[v] = iteration
        current, timing = candidate, candidate_timing
        if timing.makespan < best_timing.makespan:
            best, best_timing = current.copy(), timing
            stalled = 0
            on_improvement(graph.schedule(best, best_timing))
    return graph.schedule(best, best_timing)


def _orders_made(s: Sequencing, v: int, machine: int, after: int) -> list[tuple[int, int]]:
    """The pairs (x, y) that putting ``v`` after ``after`` on ``machine`` orders x
    before y anew: none on another machine, else v and each operation it passes."""
    if machine != s.machine[v]:
        return []
    sequence = s.sequences[machine]
    i = sequence.index(v)
    to = sequence.index(after) if after >= 0 else -1
    if to < i:  # earlier: v passes the operations from after's successor to its old place
        return [(v, x) for x in sequence[to + 1 : i]]
    return [(x, v) for x in sequence[i + 1 : to + 1]]


def _kicked(
    graph: DisjunctiveGraph,
    best: Sequencing,
    best_timing: Timing,
    rng: random.Random,
    block_moves: bool,
) -> tuple[Sequencing, Timing]:
    """``best`` after a few random re-insertions of critical operations (each one
    feasible, chosen uniformly rather than by estimate): a nearby point the tabu
    search has not been to."""
    current, timing = best.copy(), best_timing
    for _ in range(rng.randint(_KICK[0], _KICK[1])):
        moves, _ = _scored_moves(
            graph, current, timing, rng, every_point=True, block_moves=block_moves
        )
        moves.sort()  # a fixed order before the shuffle: the same seed, the same kicks
        rng.shuffle(moves)
        for _estimate, _, v, machine, duration, family, after in moves[:20]:
            candidate = _moved(current, v, machine, duration, family, after)
            candidate_timing = graph.timing(candidate)
            if candidate_timing is not None:
                current, timing = candidate, candidate_timing
                break
    return current, timing


def _best_first(moves: list[_Move]) -> Iterator[_Move]:
    """``moves`` from the lowest estimate up, sorted only as far as they are read:
    the search usually takes one of the first few of thousands (behnke17: 2400 a
    move), and sorting them all took a seventh of its time."""
    heapq.heapify(moves)
    while moves:
        yield heapq.heappop(moves)


def _scored_moves(
    graph: DisjunctiveGraph,
    s: Sequencing,
    timing: Timing,
    rng: random.Random,
    *,
    every_point: bool = False,
    block_moves: bool = True,
) -> tuple[list[_Move], int]:
    """The re-insertions of critical operations worth trying, with their estimated
    makespans, in no particular order; and how many operations are critical.

    Worth trying: every point that does not lengthen the estimated makespan, each
    operation and mode's best point (also when it lengthens: the non-lengthening
    ones may all be tabu), and with ``block_moves`` the block moves of
    ``_block_moves`` (on the operation's own machine, next to the other points
    there). The search takes the best move that is not tabu, which on behnke17 was
    always among the first dozen of the ~1900 points a move used to score. Dropping
    the rest (and stopping the scan of a sequence once no later point can be kept)
    and reading the moves from a heap instead of sorting them took behnke17 from 344
    to 599 moves per CPU second (mk10, dpp13a: 1450 and 1405 before, about 1500
    after).
    ``every_point`` keeps them all (the random kicks draw from every point).

    A move is (estimate, tie-break, operation, machine, duration, family, operation
    it goes after or -1). Among equal estimates the tie-break prefers the mode that
    shortens the operation most (its new duration less its current one, plus a random
    fraction for a random order among equals): on flexible instances whose machines
    run an operation at different speeds (Behnke-Geiger), a plateau move that also
    takes work off the plan is the better step. A small gain, in CPU time (3 CPU s,
    seeds 0-1, ``bench/tabu.py``): behnke8, 15, 17, 26, 50 from 6.89 % to 6.62 % over
    best known (behnke17 449, 447 -> 444, 442); dpp01a, dpp13a, mk07, mk10 from
    4.00 % to 3.91 % (mk10 202, 202 -> 200, 201; dpp13a worse, 2315, 2314 -> 2326,
    2333). Where every mode takes as long (job shops) the order is random as before.

    Insertion points are limited to those that cannot close a cycle: after everything
    ranked before the operation's precedence predecessors and before everything
    ranked after its successors (ranks from a topological order).

    This is the search's inner loop (thousands of points scored per iteration),
    hence the locals and the plain comparisons instead of ``max``.
    """
    head, tail, rank, makespan = timing.head, timing.tail, timing.rank, timing.makespan
    duration, machine, family = s.duration, s.machine, s.family
    transport = graph.transport
    critical = [v for v in range(len(machine)) if head[v] + duration[v] + tail[v] == makespan]
    on_path = [False] * len(machine)
    for v in critical:
        on_path[v] = True
    tie_break = rng.random  # a random second key: random order among equal estimates
    moves = []
    blocks: dict[int, _Blocks] = {}  # per machine, computed when first needed
    for v in critical:
        now_takes = duration[v]
        predecessors, successors = graph.predecessors[v], graph.successors[v]
        last_predecessor = max((rank[u] for u, _ in predecessors), default=-1)
        first_successor = min((rank[w] for w, _ in successors), default=len(machine))
        blocked = False
        for mode in graph.problem.operations[v].modes:
            k, d, f = mode.machine, mode.duration, mode.family
            own = k == machine[v] and d == duration[v] and f == family[v]
            if block_moves and own and not blocked:
                # Its own machine and mode: the block moves, estimated along the block,
                # and below every other point as for any machine (both found better
                # plans than either alone: dpp01a 2607-2635 against 2750 block moves
                # only, 2616-2585 points only, 3 CPU s).
                if k not in blocks:
                    blocks[k] = _blocks(graph, s, timing, k, on_path)
                moves.extend(
                    _block_moves(
                        graph,
                        s,
                        timing,
                        v,
                        blocks[k],
                        (last_predecessor, first_successor),
                        tie_break,
                    )
                )
                blocked = True  # once, should the operation list the mode twice
            from_jobs = graph.release[v]
            for u, delay in predecessors:
                t = head[u] + duration[u] + delay
                if transport is not None:
                    t += transport[machine[u]][k]
                if t > from_jobs:
                    from_jobs = t
            to_jobs = 0
            for w, delay in successors:
                t = delay + duration[w] + tail[w]
                if transport is not None:
                    t += transport[k][machine[w]]
                if t > to_jobs:
                    to_jobs = t
            setups = graph.setups[k]
            stays = k == machine[v]
            # Without changeovers, ends rise and tails fall along a machine's sequence,
            # so once start + d + to_jobs passes both the makespan and this mode's best
            # estimate, no later point can be kept (below).
            monotone = setups is None and not every_point
            best_over: _Move | None = None  # this mode's best point above the makespan
            # Ranks rise along a sequence: skip, by bisection, the operations that
            # precede v's predecessors (v must go after them all).
            sequence = s.sequences[k]
            first = bisect.bisect_right(sequence, last_predecessor, key=rank.__getitem__)
            a = sequence[first - 1] if first > 0 else -1  # v would follow a; -1: the front
            for b in itertools.chain(itertools.islice(sequence, first, None), (-1,)):
                if b == v:
                    continue  # v itself is taken out of its sequence
                if a >= 0 and rank[a] >= first_successor:
                    break  # a follows v's successors: this and later points close a cycle
                if not (stays and a == timing.previous[v]):  # else: where it already is
                    start = from_jobs
                    if a >= 0:
                        t = head[a] + duration[a]
                        if setups is not None:
                            t += graph.setup(k, family[a], f)
                        if t > start:
                            start = t
                    if (
                        monotone
                        and best_over is not None
                        and start + d + to_jobs > best_over[0]
                        and start + d + to_jobs > makespan
                    ):
                        break
                    after = to_jobs
                    if b >= 0:
                        t = duration[b] + tail[b]
                        if setups is not None:
                            t += graph.setup(k, f, family[b])
                        if t > after:
                            after = t
                    estimate = start + d + after
                    if estimate <= makespan or every_point:
                        moves.append((estimate, d - now_takes + tie_break(), v, k, d, f, a))
                    elif best_over is None or estimate < best_over[0]:
                        best_over = (estimate, 0.0, v, k, d, f, a)
                a = b
            if best_over is not None:
                # Also when the mode has non-lengthening points: they may all be tabu.
                moves.append((best_over[0], d - now_takes + tie_break(), *best_over[2:]))
    return moves, len(critical)


# Per machine: each operation's position in its sequence; per position the first and
# last position of its critical block (critical operations that start as soon as their
# machine predecessor ends: a stretch of a longest path on one machine); the
# changeover between two of its operations.
_Blocks = tuple[dict[int, int], list[int], list[int], Callable[[int, int], int]]


def _blocks(
    graph: DisjunctiveGraph, s: Sequencing, timing: Timing, k: int, critical: list[bool]
) -> _Blocks:
    sequence, head, duration = s.sequences[k], timing.head, s.duration
    gap = _gap(graph, s, k)
    first = list(range(len(sequence)))
    for i in range(1, len(sequence)):
        a, b = sequence[i - 1], sequence[i]
        if critical[a] and critical[b] and head[a] + duration[a] + gap(a, b) == head[b]:
            first[i] = first[i - 1]
    last = list(range(len(sequence)))
    for i in range(len(sequence) - 2, -1, -1):
        if first[i + 1] == first[i]:
            last[i] = last[i + 1]
    return {x: i for i, x in enumerate(sequence)}, first, last, gap


def _block_moves(
    graph: DisjunctiveGraph,
    s: Sequencing,
    timing: Timing,
    v: int,
    blocks: _Blocks,
    ranks_around: tuple[int, int],
    tie_break: Callable[[], float],
) -> list[_Move]:
    """Moves of critical ``v`` within its own machine's sequence, the job-shop moves
    (N7 of Zhang et al., which holds N5 and N6): an operation inside a critical block
    goes before the block's first or after its last; the first goes after any other
    of the block, the last before any other.

    Each is estimated by re-timing the operations it passes (heads forward, tails
    backward, their job neighbours' heads and tails as they are): the move's makespan
    if no other path grows (Balas and Vazacopoulos). The plain estimate the other
    points get counts ``v`` twice on its own machine (its old place is still in the
    heads and tails it reads), so that every such move looked lengthening.
    """
    k = s.machine[v]
    sequence = s.sequences[k]
    position, first, last, gap = blocks
    i = position[v]
    lo, hi = first[i], last[i]
    if lo == hi:
        return []
    rank, head, duration = timing.rank, timing.head, s.duration
    # No cycle: v goes after its job predecessors (jp) and before its successors (js).
    # Ranks (a topological order) or heads show that: a path from x to u means u starts
    # once x has ended.
    jp = [u for u, _ in graph.predecessors[v]]
    js = [w for w, _ in graph.successors[v]]
    last_predecessor, first_successor = ranks_around
    before = sequence[i - 1] if i > 0 else -1
    moves = []
    # (ops in their new order, the op before them, the op after them, v goes after)
    # The first and last of a block go at most _REACH places, or to the other end: a
    # block on a busy machine holds dozens, and each place re-times a longer stretch.
    near_front = [*range(max(lo + 1, i - _REACH), i), lo]
    earlier = [lo] if lo < i < hi else near_front if i == hi else []
    for m in earlier:  # v goes before sequence[m]
        x = sequence[m]
        if rank[x] > last_predecessor or all(head[u] < head[x] + duration[x] for u in jp):
            after = sequence[m - 1] if m > 0 else -1
            following = sequence[i + 1] if i + 1 < len(sequence) else -1
            estimate = _segment_estimate(
                graph, s, timing, [v, *sequence[m:i]], after, following, gap
            )
            moves.append((estimate, tie_break(), v, k, s.duration[v], s.family[v], after))
    near_back = [hi, *range(i + 1, min(hi, i + _REACH + 1))]
    later = [hi] if lo < i < hi else near_back if i == lo else []
    for m in later:  # v goes after sequence[m]
        x = sequence[m]
        if rank[x] < first_successor or all(head[x] < head[w] + duration[w] for w in js):
            following = sequence[m + 1] if m + 1 < len(sequence) else -1
            estimate = _segment_estimate(
                graph, s, timing, [*sequence[i + 1 : m + 1], v], before, following, gap
            )
            moves.append((estimate, tie_break(), v, k, s.duration[v], s.family[v], sequence[m]))
    return moves


def _gap(graph: DisjunctiveGraph, s: Sequencing, k: int) -> Callable[[int, int], int]:
    """The changeover between two operations on machine ``k`` (0 without changeovers)."""
    if graph.setups[k] is None:
        return lambda a, b: 0
    family = s.family
    return lambda a, b: graph.setup(k, family[a], family[b])


def _segment_estimate(
    graph: DisjunctiveGraph,
    s: Sequencing,
    timing: Timing,
    ops: list[int],
    a: int,
    c: int,
    gap: Callable[[int, int], int],
) -> int:
    """The longest path through ``ops``, re-sequenced consecutively on one machine
    between ``a`` and ``c`` (-1: none), from the heads and tails of everything else."""
    head, tail, duration, machine = timing.head, timing.tail, s.duration, s.machine
    transport = graph.transport
    starts = []
    end, previous = (head[a] + duration[a], a) if a >= 0 else (0, -1)
    for x in ops:
        start = graph.release[x]
        for u, delay in graph.predecessors[x]:
            t = head[u] + duration[u] + delay
            if transport is not None:
                t += transport[machine[u]][machine[x]]
            if t > start:
                start = t
        t = end + (gap(previous, x) if previous >= 0 else 0)
        if t > start:
            start = t
        starts.append(start)
        end, previous = start + duration[x], x
    longest = 0
    after, following = (duration[c] + tail[c], c) if c >= 0 else (0, -1)
    for x, start in zip(reversed(ops), reversed(starts), strict=True):
        rest = after + (gap(x, following) if following >= 0 else 0)
        for w, delay in graph.successors[x]:
            t = delay + duration[w] + tail[w]
            if transport is not None:
                t += transport[machine[x]][machine[w]]
            if t > rest:
                rest = t
        if start + duration[x] + rest > longest:
            longest = start + duration[x] + rest
        after, following = duration[x] + rest, x
    return longest


def _moved(
    s: Sequencing, v: int, machine: int, duration: int, family: str | None, after: int
) -> Sequencing:
    moved = Sequencing(list(s.machine), list(s.duration), list(s.family), list(s.sequences))
    old = s.machine[v]
    moved.sequences[old] = [x for x in s.sequences[old] if x != v]
    target = moved.sequences[machine] if machine == old else [x for x in s.sequences[machine]]
    position = 0 if after < 0 else target.index(after) + 1
    moved.sequences[machine] = [*target[:position], v, *target[position:]]
    moved.machine[v], moved.duration[v], moved.family[v] = machine, duration, family
    return moved
