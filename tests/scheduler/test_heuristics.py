"""The dispatch heuristic, squeaky-wheel dispatch and the critical-path local search,
on their own."""

from __future__ import annotations

import dataclasses
import itertools
import random

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Objective,
    Placement,
    Precedence,
    Problem,
    ScheduledOperation,
    Window,
    schedule_violations,
)
from pnp.scheduler.heuristics import squeaky_wheel
from pnp.scheduler.heuristics.disjunctive_graph import DisjunctiveGraph
from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.heuristics.local_search import (
    _Move,
    _orders_made,
    _scored_moves,
    improve,
    local_search_applies,
)
from pnp.scheduler.metrics import makespan, weighted_tardiness

from .instances import machines, op, random_problem, with_factory_features


def test_dispatch_gives_a_valid_plan_on_factory_problems():
    for seed in range(25):
        rng = random.Random(seed)
        problem = with_factory_features(rng, random_problem(rng))
        schedule = dispatch(problem)
        assert schedule is not None, seed
        assert schedule_violations(problem, schedule) == [], seed


def test_dispatch_fills_a_gap_left_by_earlier_bookings():
    # b waits 10 s for a's output on M1; c (M0 only, 3 s) slots in before b on M0.
    operations = (op("a", 0, (1, 10)), op("b", 0, (0, 5)), op("c", 1, (0, 3)))
    problem = Problem(machines(2), (Job("x"), Job("y")), operations, (Precedence(0, 1),))
    schedule = dispatch(problem)
    assert schedule is not None
    assert schedule[2].start == 0
    assert makespan(schedule) == 15


def test_dispatch_keeps_previous_machines_when_replanning():
    operations = tuple(op(f"o{i}", i, (0, 5), (1, 5)) for i in range(3))
    previous = (Placement(1, 0), Placement(1, 5), Placement(1, 10))
    problem = Problem(
        machines(2), tuple(Job(f"j{i}") for i in range(3)), operations, previous_plan=previous
    )
    schedule = dispatch(problem)
    assert schedule is not None
    assert [s.machine for s in schedule] == [1, 1, 1]


def test_dispatch_gives_up_when_an_operation_fits_no_window():
    closed = Machine("M0", availability=(Window(0, 2),))
    assert dispatch(Problem((closed,), (Job("j"),), (op("a", 0, (0, 5)),))) is None


def serial_schedule(problem: Problem) -> tuple[ScheduledOperation, ...]:
    """Every operation on its first mode, one after another: valid and poor."""
    t, placed = 0, []
    for i, o in enumerate(problem.operations):
        mode = o.modes[0]
        placed.append(ScheduledOperation(i, mode.machine, t, t + mode.duration))
        t += mode.duration + 10  # room for any delay or transport in these tests
    return tuple(placed)


def test_local_search_improves_a_poor_plan_and_reports_each_improvement():
    rng = random.Random(3)
    problem = random_problem(rng, operation_range=(20, 25))
    problem = Problem(
        problem.machines,
        tuple(Job(j.name) for j in problem.jobs),
        problem.operations,
        problem.precedences,
        problem.transport,
    )
    assert local_search_applies(problem)
    start = serial_schedule(problem)
    assert schedule_violations(problem, start) == []
    improvements: list[int] = []
    steps = iter(range(300))
    best = improve(
        problem,
        start,
        seed=1,
        should_stop=lambda: next(steps, None) is None,
        on_improvement=lambda schedule: improvements.append(makespan(schedule)),
    )
    assert schedule_violations(problem, best) == []
    assert makespan(best) < makespan(start)
    assert improvements == sorted(improvements, reverse=True)
    assert improvements[-1] == makespan(best)


def test_local_search_stops_when_asked():
    problem = Problem(machines(2), (Job("j"),), (op("a", 0, (0, 5), (1, 3)),))
    start = (ScheduledOperation(0, 0, 0, 5),)
    assert (
        improve(problem, start, seed=0, should_stop=lambda: True, on_improvement=lambda _: None)
        == start
    )


def test_local_search_leaves_due_dates_and_replanning_to_cp_sat():
    problem = Problem(machines(1), (Job("j", due=3),), (op("a", 0, (0, 5)),))
    assert not local_search_applies(problem)
    frozen_problem = with_factory_features(random.Random(1), random_problem(random.Random(1)))
    assert not local_search_applies(frozen_problem)


def test_squeaky_wheel_pushes_a_late_heavy_job_ahead():
    # Greedy dispatch starts the long unscored job at 0 because the urgent one is only
    # released at 1; it is then 9 s late at weight 5. One push later it goes first.
    jobs = (Job("long"), Job("urgent", weight=5, due=6, release=1))
    problem = Problem(machines(1), jobs, (op("a", 0, (0, 10)), op("b", 1, (0, 5))))
    plans: list[tuple[ScheduledOperation, ...]] = []
    squeaky_wheel.improve(
        problem, seed=0, should_stop=lambda _: len(plans) >= 3, on_schedule=plans.append
    )
    tardiness = [weighted_tardiness(problem, plan) for plan in plans]
    assert tardiness[0] == 45
    assert min(tardiness) == 0
    assert all(schedule_violations(problem, plan) == [] for plan in plans)


def test_squeaky_wheel_head_starts_fade_once_no_job_is_late(monkeypatch):
    # The push that made the urgent job punctual also bent the plan; once a pass has
    # no late job the head starts shrink (every punctual pass), so the dispatcher's
    # own order can come back where punctuality allows.
    jobs = (Job("long"), Job("urgent", weight=5, due=6, release=1))
    problem = Problem(machines(1), jobs, (op("a", 0, (0, 10)), op("b", 1, (0, 5))))
    head_starts: list[list[float]] = []

    def recording_dispatch(problem: Problem, boosts: list[float]):
        head_starts.append(list(boosts))
        return dispatch(problem, boosts)

    monkeypatch.setattr(squeaky_wheel, "dispatch", recording_dispatch)
    plans: list[tuple[ScheduledOperation, ...]] = []
    squeaky_wheel.improve(
        problem, seed=0, should_stop=lambda _: len(plans) >= 3, on_schedule=plans.append
    )
    late, punctual = plans[0], plans[1]
    assert weighted_tardiness(problem, late) > 0
    assert weighted_tardiness(problem, punctual) == 0
    urgent = [boosts[1] for boosts in head_starts]
    assert urgent[1] > urgent[0]  # pushed after the late pass
    assert urgent[2] < urgent[1]  # fading after the punctual one


def dispatched_on_a_graph(seed: int):
    """A seeded random problem's dispatch plan as the tabu search sees it: its graph,
    the plan's machine sequences and their timing."""
    problem = random_problem(random.Random(seed), operation_range=(15, 40))
    schedule = dispatch(problem)
    assert schedule is not None, seed
    graph = DisjunctiveGraph(problem)
    sequencing = graph.sequencing_of(schedule)
    timing = graph.timing(sequencing)
    assert timing is not None, seed
    return graph, sequencing, timing


def test_local_search_scores_every_non_lengthening_move_and_each_modes_best():
    """Skipping insertion points (to score fewer) loses none the search could take
    first: every point that does not lengthen the estimated makespan, and for every
    operation and mode its lowest lengthening point too (the search needs it when the
    mode's non-lengthening points are all tabu)."""
    for seed in range(40):
        graph, sequencing, timing = dispatched_on_a_graph(seed)
        kept, _ = _scored_moves(graph, sequencing, timing, random.Random(0))
        every, _ = _scored_moves(graph, sequencing, timing, random.Random(0), every_point=True)

        def points(moves: list[_Move]) -> set[tuple[int, int, int, int]]:
            return {(estimate, v, k, after) for estimate, _, v, k, _, _, after in moves}

        under = {p for p in points(every) if p[0] <= timing.makespan}
        assert under <= points(kept), seed
        over = points(every) - under
        for v, k in {(p[1], p[2]) for p in over}:
            lowest = min(p[0] for p in over if (p[1], p[2]) == (v, k))
            assert lowest in {p[0] for p in points(kept) if (p[1], p[2]) == (v, k)}, seed


def test_among_equal_estimates_the_search_prefers_the_move_that_shortens_the_operation():
    """On a plateau (equal estimated makespans) a move to a faster mode comes first: it
    also takes work off the plan (Behnke-Geiger's machines differ in speed)."""
    for seed in range(20):
        graph, sequencing, timing = dispatched_on_a_graph(seed)
        moves, _ = _scored_moves(graph, sequencing, timing, random.Random(0))
        for a, b in itertools.combinations(moves, 2):
            if a[0] == b[0] and a[2] == b[2] and a[4] < b[4]:  # same estimate and op
                assert a < b, seed


def two_jobs_through_one_machine() -> tuple[Problem, tuple[ScheduledOperation, ...]]:
    """Jobs a (3 s on M0, then 1 s on M1) and b (1 s on M0, then 3 s on M2), planned
    a first on M0: makespan 7 on the critical path a0, b0, b1; b first gives 5."""
    problem = Problem(
        machines(3),
        (Job("a"), Job("b")),
        (op("a0", 0, (0, 3)), op("a1", 0, (1, 1)), op("b0", 1, (0, 1)), op("b1", 1, (2, 3))),
        (Precedence(0, 1), Precedence(2, 3)),
    )
    plan = (
        ScheduledOperation(0, 0, 0, 3),
        ScheduledOperation(1, 1, 3, 4),
        ScheduledOperation(2, 0, 3, 4),
        ScheduledOperation(3, 2, 4, 7),
    )
    assert schedule_violations(problem, plan) == []
    return problem, plan


def test_a_swap_in_a_critical_block_is_estimated_by_re_timing_the_block():
    """Moving b0 before a0 on M0 re-times both: b0 ends at 1, a0 at 4, a1 then ends
    at 5 and b1 at 4. The estimate is that 5, not the 7 that reading a0's old head
    (and b0's old place in it) would give."""
    problem, plan = two_jobs_through_one_machine()
    graph = DisjunctiveGraph(problem)
    sequencing = graph.sequencing_of(plan)
    timing = graph.timing(sequencing)
    assert timing is not None and timing.makespan == 7
    moves, _ = _scored_moves(graph, sequencing, timing, random.Random(0))
    b0_first = [estimate for estimate, _, v, k, _, _, after in moves if (v, k, after) == (2, 0, -1)]
    a0_last = [estimate for estimate, _, v, k, _, _, after in moves if (v, k, after) == (0, 0, 2)]
    assert 5 in b0_first and 5 in a0_last
    best = improve(
        problem, plan, seed=0, should_stop=iter([False, True]).__next__, on_improvement=print
    )
    assert makespan(best) == 5


def test_a_move_on_its_own_machine_makes_tabu_the_order_of_what_it_passes():
    """The search forbids restoring these orders for a while: without it, moving the
    other operation back undid a block move at once."""
    problem, plan = two_jobs_through_one_machine()
    graph = DisjunctiveGraph(problem)
    sequencing = graph.sequencing_of(plan)  # M0: a0, b0
    assert _orders_made(sequencing, 2, 0, -1) == [(2, 0)]  # b0 to the front: b0 before a0
    assert _orders_made(sequencing, 0, 0, 2) == [(2, 0)]  # a0 after b0: the same order
    assert _orders_made(sequencing, 0, 1, -1) == []  # to another machine: no order


def test_local_search_keeps_plans_valid_with_changeovers_transport_and_delays():
    """Block moves and their estimates read changeovers between neighbours on a
    machine; whatever they estimate, every plan the search returns is valid and no
    longer than where it started."""
    for seed in range(25):
        rng = random.Random(seed)
        problem = random_problem(rng, operation_range=(10, 30))  # transport, delays
        families = ["red", "blue", None]
        operations = tuple(
            dataclasses.replace(
                o, modes=tuple(Mode(m.machine, m.duration, rng.choice(families)) for m in o.modes)
            )
            for o in problem.operations
        )
        painted = tuple(
            Machine(
                m.name, changeovers=(Changeover("red", "blue", 4), Changeover("blue", "red", 7))
            )
            if rng.random() < 0.5
            else m
            for m in problem.machines
        )
        problem = Problem(
            painted,
            tuple(Job(j.name, release=j.release) for j in problem.jobs),
            operations,
            problem.precedences,
            problem.transport,
            objectives=(Objective.MAKESPAN,),
        )
        assert local_search_applies(problem), seed
        start = dispatch(problem)
        assert start is not None, seed
        steps = iter(range(60))
        best = improve(
            problem,
            start,
            seed=seed,
            should_stop=lambda steps=steps: next(steps, None) is None,
            on_improvement=lambda _: None,
        )
        assert schedule_violations(problem, best) == [], seed
        assert makespan(best) <= makespan(start), seed
