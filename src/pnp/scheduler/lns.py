"""Large-neighbourhood search with CP-SAT on the plan so far, for large factories.

CP-SAT on the whole model of a large factory does not get through its presolve
within a minute on two workers (the changeover circuits on the paint booths are
quadratic in the operations a booth may run), so it never contributes a plan there.
A small model does presolve fast, changeovers included. This search repeatedly:

1. takes the working plan (the incumbent, or a plan of equal value this search
   reached by shifting work earlier) and frees a slice of it (kinds below);
2. builds a CP-SAT model of those operations only: every other operation stays
   where it is, as a fixed interval on its machine, and as a fixed end or start for
   the freed operations' predecessors and successors (transport included, by the
   machine each freed operation picks); on a machine with changeovers the freed
   operations stay between the fixed ones around them, ordered by a circuit of
   their own;
3. minimises the plan's own ranked objectives (weighted tardiness, moved operations,
   makespan, counted over the freed operations and the fixed rest, in the problem's
   order, weighted afresh from the slice's own ranges), and below them the sum of the
   freed operations' ends, so that work moves earlier even where the objective cannot
   change yet: the next slices then
   start from earlier predecessors, which is how the gain travels to the end of the
   plan;
4. keeps the answer if it is better by that ranking, offers it to the incumbent,
   and adapts the slice size: larger after a sub-problem solved to optimality with
   time to spare, smaller after one neither solved to optimality nor improved.

Slices come in four kinds, in turn: the plan's tail (the operations that start
last: nothing fixed follows them, so the makespan and the last jobs' lateness are
free to change; every other round), consecutive operations on the module kind that
runs the plan's last operation, a sweep through time on every machine, and
consecutive operations around one that hurts the objective (a late job's last
operation, or one on the critical path); the kind-based ones add the freed
operations' direct predecessors, which may then feed them earlier. Each kind keeps
its own slice size. Every plan is checked with ``schedule_violations`` before it is
kept; a plan that fails is a bug in this module, and is dropped (and counted)
rather than ever returned.

Pisinger and Ropke, "Large neighborhood search", Handbook of Metaheuristics (2010).
"""

from __future__ import annotations

import bisect
import itertools
import random
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from pnp.scheduler.check import schedule_violations
from pnp.scheduler.incumbent import Incumbent
from pnp.scheduler.lower_bound import connected_machines
from pnp.scheduler.model.constraints import unavailable_spans
from pnp.scheduler.model.objective import ObjectiveWeights, stability_candidates
from pnp.scheduler.model.variables import scored_jobs
from pnp.scheduler.problem import Mode, Objective, Problem
from pnp.scheduler.result import ScheduledOperation

FOUND_BY = "cp-sat lns"
# CP-SAT rejects objectives that could overflow int64; stay well inside.
_MAX_OBJECTIVE = 2**62
# Slice sizes (freed operations) and the time one sub-problem may take.
_FIRST_SIZE = 60
_SMALLEST, _LARGEST = 15, 400
_SUB_LIMIT = 0.5
# Below this much time left a sub-problem is not worth starting.
_LEAST_SECONDS = 0.05

_Schedule = tuple[ScheduledOperation, ...]


@dataclass(frozen=True)
class _Fixed:
    """The static structure a sub-model needs, computed once per problem."""

    predecessors: list[list[tuple[int, int]]]  # (before, min_delay) per operation
    successors: list[list[tuple[int, int]]]  # (after, min_delay) per operation
    scored: frozenset[int]  # jobs whose tardiness counts
    stability: frozenset[int]  # operations whose move counts against stability

    @classmethod
    def of(cls, problem: Problem) -> _Fixed:
        n = len(problem.operations)
        predecessors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        successors: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for p in problem.precedences:
            predecessors[p.after].append((p.before, p.min_delay))
            successors[p.before].append((p.after, p.min_delay))
        return cls(
            predecessors,
            successors,
            frozenset(scored_jobs(problem)),
            frozenset(stability_candidates(problem)),
        )


class LargeNeighbourhoodSearch:
    """One search over one problem; ``stop`` may be called from another thread."""

    def __init__(
        self,
        problem: Problem,
        weights: ObjectiveWeights,
        incumbent: Incumbent,
        seed: int,
        sub_limit: float = _SUB_LIMIT,
    ) -> None:
        self._problem = problem
        self._sub_limit = sub_limit  # seconds per sub-problem
        self._weights = weights
        self._incumbent = incumbent
        self._fixed = _Fixed.of(problem)
        self._rng = random.Random(seed)
        self._seed = seed
        self._stopped = threading.Event()
        self._solver: cp_model.CpSolver | None = None
        self._lock = threading.Lock()
        # Slice size per kind of slice: the plan's tail is much harder to solve than a
        # slice in its middle, and one size for both starved the one or the other.
        self._sizes: dict[str, float] = defaultdict(lambda: float(_FIRST_SIZE))
        self._kind = ""
        self._cursor = 0  # position of the next sweep slice, in start order
        self._sweeps = 0
        self.kinds: tuple[str, ...] = ("tail", "end", "tail", "sweep", "tail", "trouble")
        self._group_of = connected_machines(problem)
        self._setup_slack = max(
            (c.seconds for m in problem.machines for c in m.changeovers), default=0
        )
        self.sub_problems = 0  # solved (for tests and benchmarks)
        self.improvements = 0  # kept plans, better by the objective or by the sum of ends
        self.rejected = 0  # plans that failed the check (a bug if ever above 0)

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._solver is not None:
                self._solver.stop_search()

    def run(self, *, deadline: float, workers: int, rounds: int | None = None) -> None:
        """Improve the incumbent until ``deadline`` (``time.monotonic()``), ``stop``, or
        after ``rounds`` sub-problems (None: no such limit)."""
        best = self._incumbent.best
        if best is None:
            return
        plan, key = best.schedule, self._key(best.schedule)
        seen = plan
        empty = 0  # slices in a row that freed nothing
        while not self._stopped.is_set() and (rounds is None or self.sub_problems < rounds):
            left = deadline - time.monotonic()
            if left < _LEAST_SECONDS:
                return
            latest = self._incumbent.best
            assert latest is not None
            if latest.schedule is not plan and latest.schedule is not seen:
                seen = latest.schedule  # found elsewhere (or by this search)
                if self._key(seen) < key:
                    plan, key = seen, self._key(seen)
            freed = self._neighbourhood(plan)
            if not freed:
                # A kind of slice may find nothing to free (every operation of that
                # module kind frozen, say); when no kind does, nothing can move.
                empty += 1
                if empty > len(self.kinds):
                    return
                continue
            empty = 0
            found = self._solve_slice(plan, freed, min(self._sub_limit, left), workers)
            if found is None or found == plan:
                continue
            candidate = self._key(found)
            if candidate >= key:
                continue
            if schedule_violations(self._problem, found):
                # A bug in this module's model: never hand out such a plan, and do not
                # fail the solve over it either (the plans so far are sound).
                self.rejected += 1
                continue
            plan, key = found, candidate
            self.improvements += 1
            self._incumbent.offer(found, FOUND_BY)

    def _key(self, schedule: Sequence[ScheduledOperation]) -> tuple[int, int]:
        """The ranking this search keeps plans by: objective, then sum of ends."""
        return self._incumbent.value_of(schedule), sum(s.end for s in schedule)

    # -- choosing what to free ------------------------------------------------

    def _neighbourhood(self, plan: _Schedule) -> list[int]:
        problem = self._problem
        movable = sorted(
            (s.start, s.operation) for s in plan if problem.operations[s.operation].frozen is None
        )
        if not movable:
            return []
        kind = self._kind = self.kinds[self._sweeps % len(self.kinds)]
        self._sweeps += 1
        size = min(len(movable), max(1, round(self._sizes[kind])))
        if kind == "trouble":
            return self._group_slice(plan, size, self._troublemaker(plan))
        if kind == "tail":
            # The last operations to start: nothing fixed comes after them, so the end
            # of the plan (the makespan, the last jobs' lateness) is free to change.
            return [i for _, i in movable[-size:]]
        if kind == "end":
            # Anywhere on the kind of module that runs the plan's last operation.
            machines = self._group_of[max(plan, key=lambda s: s.end).machine]
            there = [s.operation for s in plan if s.machine in machines]
            return self._group_slice(plan, size, self._rng.choice(there))
        if self._cursor >= len(movable):
            self._cursor = 0
        first = max(0, min(len(movable) - size, self._cursor))
        # Overlapping slices: what one slice moved gets moved again with its followers.
        self._cursor = first + max(1, size // 2)
        freed = [i for _, i in movable[first : first + size]]
        return self._without_split_sequences(plan, freed)

    def _group_slice(self, plan: _Schedule, size: int, around: int) -> list[int]:
        """Consecutive operations around ``around`` on the machines of its kind (those
        connected to its machine by operations that may run on either), with their
        direct predecessors, which may then feed them earlier."""
        problem = self._problem
        machines = self._group_of[plan[around].machine]
        mine = sorted(
            (s.start, s.operation)
            for s in plan
            if s.machine in machines and problem.operations[s.operation].frozen is None
        )
        share = max(1, size * 2 // 3)
        position = bisect.bisect_left(mine, (plan[around].start, around))
        first = max(0, min(len(mine) - share, position - share // 2))
        freed = [i for _, i in mine[first : first + share]]
        chosen = set(freed)
        for i in list(freed):
            for before, _ in self._fixed.predecessors[i]:
                if before not in chosen and problem.operations[before].frozen is None:
                    chosen.add(before)
                    freed.append(before)
        return self._without_split_sequences(plan, freed)

    def _troublemaker(self, plan: _Schedule) -> int:
        """An operation worth freeing: the last one of a late job, or one on the
        critical path (the chain of operations, each waiting for the one before on its
        job or its machine, that ends at the makespan)."""
        problem = self._problem
        completion: dict[int, ScheduledOperation] = {}
        for s in plan:
            j = problem.operations[s.operation].job
            if j not in completion or s.end > completion[j].end:
                completion[j] = s
        late = [
            s.operation
            for j, s in completion.items()
            if j in self._fixed.scored and s.end > (problem.jobs[j].due or 0)
        ]
        candidates = [*late, *self._critical_path(plan)]
        candidates = [i for i in candidates if problem.operations[i].frozen is None]
        if candidates:
            return self._rng.choice(candidates)
        return self._rng.randrange(len(plan))

    def _critical_path(self, plan: _Schedule) -> list[int]:
        problem = self._problem
        before_on_machine: dict[int, ScheduledOperation] = {}
        by_machine: dict[int, list[ScheduledOperation]] = defaultdict(list)
        for s in plan:
            by_machine[s.machine].append(s)
        for on_machine in by_machine.values():
            on_machine.sort(key=lambda s: (s.start, s.end))
            for a, b in itertools.pairwise(on_machine):
                before_on_machine[b.operation] = a
        path: list[int] = []
        current: ScheduledOperation | None = max(plan, key=lambda s: s.end)
        while current is not None and len(path) < len(plan):
            path.append(current.operation)
            waited_for = None
            for before, delay in self._fixed.predecessors[current.operation]:
                placed = plan[before]
                transport = problem.transport_time(placed.machine, current.machine)
                if placed.end + delay + transport == current.start:
                    waited_for = placed
                    break
            if waited_for is None:
                previous = before_on_machine.get(current.operation)
                # Within a changeover of the one before on the machine: it waited for it.
                if previous is not None and current.start - previous.end <= self._setup_slack:
                    waited_for = previous
            current = waited_for
        return path

    def _without_split_sequences(self, plan: _Schedule, freed: list[int]) -> list[int]:
        """On a machine with changeovers the freed operations must be consecutive (the
        sub-model orders them between the fixed ones around them); where a fixed
        operation sits between them, keep that machine's operations fixed."""
        problem = self._problem
        freed_set = set(freed)
        by_machine: dict[int, list[int]] = defaultdict(list)
        for i in freed:
            machine = plan[i].machine
            if problem.machines[machine].has_changeovers:
                by_machine[machine].append(i)
        drop: set[int] = set()
        for machine, mine in by_machine.items():
            lo = min(plan[i].start for i in mine)
            hi = max(plan[i].start for i in mine)
            if any(
                s.machine == machine and lo <= s.start <= hi and s.operation not in freed_set
                for s in plan
            ):
                drop.update(mine)
        return [i for i in freed if i not in drop]

    # -- the sub-model --------------------------------------------------------

    def _solve_slice(
        self, plan: _Schedule, freed: list[int], limit: float, workers: int
    ) -> _Schedule | None:
        sub = _SubModel(self._problem, self._weights, self._fixed, plan, freed)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, limit)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = self._seed + self.sub_problems
        solver.parameters.catch_sigint_signal = False
        with self._lock:
            if self._stopped.is_set():
                return None
            self._solver = solver
        started = time.monotonic()
        status = solver.solve(sub.model)
        took = time.monotonic() - started
        with self._lock:
            self._solver = None
        self.sub_problems += 1
        found = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = sub.read(solver)
        # Sub-problems proven fast may grow; those neither proven nor improved (the
        # hint is CP-SAT's first solution) shrink.
        if status == cp_model.OPTIMAL and took < limit / 2:
            self._sizes[self._kind] = min(_LARGEST, self._sizes[self._kind] * 1.2)
        elif status != cp_model.OPTIMAL and (found is None or found == plan):
            self._sizes[self._kind] = max(_SMALLEST, self._sizes[self._kind] * 0.8)
        return found


def _mode_of(problem: Problem, s: ScheduledOperation) -> Mode:
    return next(
        m
        for m in problem.operations[s.operation].modes
        if m.machine == s.machine and m.duration == s.end - s.start
    )


class _SubModel:
    """The freed operations as variables; everything else fixed where ``plan`` has it."""

    def __init__(
        self,
        problem: Problem,
        weights: ObjectiveWeights,
        fixed: _Fixed,
        plan: _Schedule,
        freed: list[int],
    ) -> None:
        self.problem, self.plan, self.freed = problem, plan, freed
        model = self.model = cp_model.CpModel()
        is_freed = set(freed)
        makespan = max(s.end for s in plan)
        # Room to move: up to the plan's makespan plus the freed work once more; the
        # freed operations' current places always fit (the hint is feasible).
        longest = sum(max(m.duration for m in problem.operations[i].modes) for i in freed)
        horizon = makespan + longest
        # Machines with changeovers: the fixed operations right before and after the
        # freed block there; freed operations may only join such a block.
        blocks = self._changeover_blocks(is_freed)

        self.starts: dict[int, cp_model.IntVar] = {}
        self.ends: dict[int, cp_model.IntVar] = {}
        self.presence: dict[int, list[tuple[Mode, cp_model.IntVar]]] = {}
        intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
        earliest = horizon
        for i in freed:
            op = problem.operations[i]
            current = plan[i]
            first = max(0, problem.jobs[op.job].release)
            earliest = min(earliest, first)
            start = model.new_int_var(first, horizon, f"start_{i}")
            end = model.new_int_var(first, horizon, f"end_{i}")
            model.add_hint(start, current.start)
            model.add_hint(end, current.end)
            options = []
            for mode in op.modes:
                spec = problem.machines[mode.machine]
                if spec.has_changeovers and mode.machine not in blocks:
                    continue  # no freed block on that booth to join
                presence = model.new_bool_var(f"mode_{i}_{mode.machine}")
                is_current = mode.machine == current.machine and (
                    mode.duration == current.end - current.start
                )
                model.add_hint(presence, is_current)
                interval = model.new_optional_interval_var(
                    start, mode.duration, end, presence, f"interval_{i}_{mode.machine}"
                )
                intervals[mode.machine].append(interval)
                options.append((mode, presence))
            model.add_exactly_one(p for _, p in options)
            model.add(end == start + sum(m.duration * p for m, p in options))
            self.starts[i], self.ends[i], self.presence[i] = start, end, options

        self._precedences(fixed, is_freed)
        self._machines(intervals, is_freed, earliest, horizon)
        self._changeovers(blocks)
        self._objective(weights, fixed, is_freed, makespan, horizon)

    # Machines with changeovers whose freed block is bracketed by fixed operations.
    def _changeover_blocks(
        self, is_freed: set[int]
    ) -> dict[int, tuple[ScheduledOperation | None, ScheduledOperation | None]]:
        problem, plan = self.problem, self.plan
        blocks: dict[int, tuple[ScheduledOperation | None, ScheduledOperation | None]] = {}
        mine: dict[int, list[ScheduledOperation]] = defaultdict(list)
        for i in self.freed:
            if problem.machines[plan[i].machine].has_changeovers:
                mine[plan[i].machine].append(plan[i])
        for machine, block in mine.items():
            lo = min(s.start for s in block)
            before = [s for s in plan if s.machine == machine and s.operation not in is_freed]
            earlier = [s for s in before if s.start < lo]
            later = [s for s in before if s.start > lo]
            previous = max(earlier, key=lambda s: (s.start, s.end), default=None)
            following = min(later, key=lambda s: (s.start, s.end), default=None)
            blocks[machine] = (previous, following)
        self.blocks = blocks
        return blocks

    def _transport(self, a: int, b: int) -> int:
        return self.problem.transport_time(a, b)

    def _precedences(self, fixed: _Fixed, is_freed: set[int]) -> None:
        model, plan = self.model, self.plan
        for i in self.freed:
            start, options = self.starts[i], self.presence[i]
            for before, delay in fixed.predecessors[i]:
                if before in is_freed:
                    model.add(self.ends[before] + delay <= start)
                    for a_mode, a in self.presence[before]:
                        for b_mode, b in options:
                            seconds = self._transport(a_mode.machine, b_mode.machine)
                            if seconds:
                                model.add(
                                    self.ends[before] + delay + seconds <= start
                                ).only_enforce_if(a, b)
                    continue
                placed = plan[before]
                model.add(
                    start
                    >= placed.end
                    + delay
                    + sum(self._transport(placed.machine, m.machine) * p for m, p in options)
                )
            for after, delay in fixed.successors[i]:
                if after in is_freed:
                    continue  # added from the other side
                placed = plan[after]
                model.add(
                    self.ends[i]
                    + delay
                    + sum(self._transport(m.machine, placed.machine) * p for m, p in options)
                    <= placed.start
                )

    def _machines(
        self,
        intervals: dict[int, list[cp_model.IntervalVar]],
        is_freed: set[int],
        earliest: int,
        horizon: int,
    ) -> None:
        problem, model = self.problem, self.model
        on_machine: dict[int, list[ScheduledOperation]] = defaultdict(list)
        for s in self.plan:
            mine = s.operation not in is_freed and s.machine in intervals
            # A zero-length operation takes no capacity on a batch machine, but on a
            # unit machine nothing may run across it (it may only touch others).
            takes_room = s.end > s.start or problem.machines[s.machine].capacity == 1
            if mine and takes_room and s.end >= earliest and s.start <= horizon:
                on_machine[s.machine].append(s)
        for machine, free in intervals.items():
            spec = problem.machines[machine]
            fixed = [
                model.new_fixed_size_interval_var(s.start, s.end - s.start, f"busy_{s.operation}")
                for s in on_machine[machine]
            ]
            downtime = [
                model.new_fixed_size_interval_var(a, b - a, f"down_{machine}_{a}")
                for a, b in unavailable_spans(spec, earliest, horizon)
            ]
            if spec.capacity == 1:
                model.add_no_overlap(free + fixed + downtime)
            else:
                demands = [1] * (len(free) + len(fixed)) + [spec.capacity] * len(downtime)
                model.add_cumulative(free + fixed + downtime, demands, spec.capacity)

    def _changeovers(
        self, blocks: dict[int, tuple[ScheduledOperation | None, ScheduledOperation | None]]
    ) -> None:
        """Per booth, a circuit through the freed operations that may run there, between
        the fixed operation before the block and the one after it (the depot)."""
        problem, model, plan = self.problem, self.model, self.plan
        for machine, (previous, following) in blocks.items():
            spec = problem.machines[machine]
            nodes = [
                (i, mode, p)
                for i in self.freed
                for mode, p in self.presence[i]
                if mode.machine == machine
            ]
            before_family = None if previous is None else _mode_of(problem, previous).family
            after_family = None if following is None else _mode_of(problem, following).family
            current = sorted((plan[i].start, i) for i, _, _ in nodes if plan[i].machine == machine)
            order = [i for _, i in current]
            used = set(zip([-1, *order], [*order, -1], strict=True))
            arcs: list[tuple[int, int, cp_model.LiteralT]] = []
            empty = model.new_bool_var(f"empty_{machine}")
            model.add_hint(empty, not order)
            arcs.append((0, 0, empty))
            if previous is not None and following is not None:
                gap = previous.end + spec.changeover(before_family, after_family)
                if gap > following.start:
                    model.add(empty == 0)
            for k, (i, mode, presence) in enumerate(nodes, start=1):
                arcs.append((k, k, ~presence))
                first = model.new_bool_var(f"first_{machine}_{i}")
                last = model.new_bool_var(f"last_{machine}_{i}")
                model.add_hint(first, (-1, i) in used)
                model.add_hint(last, (i, -1) in used)
                arcs += [(0, k, first), (k, 0, last)]
                if previous is not None:
                    model.add(
                        self.starts[i] >= previous.end + spec.changeover(before_family, mode.family)
                    ).only_enforce_if(first)
                if following is not None:
                    model.add(
                        self.ends[i] + spec.changeover(mode.family, after_family) <= following.start
                    ).only_enforce_if(last)
                for k2, (j, other, _) in enumerate(nodes, start=1):
                    if i == j:
                        continue
                    follows = model.new_bool_var(f"next_{machine}_{i}_{j}")
                    model.add_hint(follows, (i, j) in used)
                    arcs.append((k, k2, follows))
                    model.add(
                        self.ends[i] + spec.changeover(mode.family, other.family) <= self.starts[j]
                    ).only_enforce_if(follows)
            model.add_circuit(arcs)

    def _objective(
        self,
        weights: ObjectiveWeights,
        fixed: _Fixed,
        is_freed: set[int],
        makespan: int,
        horizon: int,
    ) -> None:
        """The plan's ranked objective over freed and fixed operations (constants
        dropped), no worse than the plan's; below it, the sum of the freed ends."""
        problem, model, plan = self.problem, self.model, self.plan
        fixed_end = max((s.end for s in plan if s.operation not in is_freed), default=0)
        span = model.new_int_var(fixed_end, makespan, "makespan")
        model.add_hint(span, makespan)
        for i in self.freed:
            model.add(span >= self.ends[i])
        jobs = {problem.operations[i].job for i in self.freed} & fixed.scored
        done: dict[int, int] = {}  # job -> latest end among its fixed operations
        completion: dict[int, int] = {}  # job -> completion in the plan
        for s in plan:
            j = problem.operations[s.operation].job
            if j in jobs:
                completion[j] = max(completion.get(j, s.end), s.end)
                if s.operation not in is_freed:
                    done[j] = max(done.get(j, s.end), s.end)
        current_tardiness = sum(
            problem.jobs[j].weight * max(0, completion[j] - (problem.jobs[j].due or 0))
            for j in jobs
        )
        tardiness_terms = []
        for j in sorted(jobs):
            job = problem.jobs[j]
            due = job.due or 0
            now = max(0, completion[j] - due)
            least = max(0, done[j] - due) if j in done else 0
            most = max(least, current_tardiness // job.weight)
            late = model.new_int_var(least, most, f"late_{j}")
            model.add_hint(late, now)
            for i in self.freed:
                if problem.operations[i].job == j:
                    model.add(late >= self.ends[i] - due)
            tardiness_terms.append(job.weight * late)
        # No worse than the plan (its tardiness is a feasible value: the hint).
        model.add(sum(tardiness_terms) <= current_tardiness)
        moved_terms = []
        for i in self.freed:
            previous = problem.previous_plan[i] if i in fixed.stability else None
            if previous is not None:
                stays = [p for m, p in self.presence[i] if m.machine == previous.machine]
                moved_terms.append(1 - sum(stays))
        # The plan's ranking, weighted afresh from this sub-problem's own ranges (each
        # part counted from its least value): far smaller coefficients than the whole
        # problem's weights, which CP-SAT's LP handles badly; the sum of the freed ends
        # ranks last.
        releases = [max(0, problem.jobs[problem.operations[i].job].release) for i in self.freed]
        parts: dict[Objective, tuple[cp_model.LinearExprT, int]] = {
            Objective.WEIGHTED_TARDINESS: (sum(tardiness_terms), current_tardiness),
            Objective.PLAN_STABILITY: (sum(moved_terms), len(moved_terms)),
            Objective.MAKESPAN: (span - fixed_end, makespan - fixed_end),
        }
        ranked = [
            parts[objective]
            for objective in problem.objectives
            if weights.of(objective) > 0 and parts[objective][1] > 0
        ]
        ends = (
            sum(self.ends[i] for i in self.freed) - sum(releases),
            sum(horizon - first for first in releases),
        )
        # CP-SAT bounds the objective by its variables' domains (up to the horizon),
        # not by the ranges above: leave that much room too.
        for terms in ([*ranked, ends], ranked):
            expression, weight = _lexicographic(terms)
            if weight * (horizon + 1) < _MAX_OBJECTIVE:
                model.minimize(expression)
                return
        model.minimize(sum(weights.of(o) * parts[o][0] for o in problem.objectives))

    def read(self, solver: cp_model.CpSolver) -> _Schedule:
        placed = list(self.plan)
        for i in self.freed:
            mode = next(m for m, p in self.presence[i] if solver.boolean_value(p))
            start = int(solver.value(self.starts[i]))
            placed[i] = ScheduledOperation(i, mode.machine, start, start + mode.duration)
        return tuple(placed)


def _lexicographic(
    ranked: list[tuple[cp_model.LinearExprT, int]],
) -> tuple[cp_model.LinearExprT, int]:
    """``ranked`` (value, largest value), most important first, as one weighted sum in
    which a unit of a part outweighs everything ranked below it; and the weight a part
    ranked above all of them would need."""
    terms: list[cp_model.LinearExprT] = []
    weight = 1
    for value, most in reversed(ranked):
        terms.append(weight * value)
        weight *= most + 1
    return cp_model.LinearExpr.sum(terms), weight


def improve(
    problem: Problem,
    weights: ObjectiveWeights,
    incumbent: Incumbent,
    *,
    seed: int,
    deadline: float,
    workers: int,
) -> LargeNeighbourhoodSearch:
    """Run one search to ``deadline``; return it (for its counts)."""
    search = LargeNeighbourhoodSearch(problem, weights, incumbent, seed)
    search.run(deadline=deadline, workers=workers)
    return search
