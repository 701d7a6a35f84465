"""The portfolio: which search an instance gets, from its features."""

from __future__ import annotations

import dataclasses

from pnp.scheduler import (
    DEFAULT_OBJECTIVES,
    Job,
    Objective,
    Problem,
    SolveOptions,
    portfolio,
    solve,
)
from pnp.scheduler.portfolio import (
    CP_SAT_OPERATIONS,
    LONG_SEQUENCES,
    SMALL_INSTANCE,
    Features,
    Heuristic,
    choose_strategy,
    polish_by_neighbourhoods_only,
)

from .checker import assert_valid
from .instances import machines, op


def makespan_problem(operations: int, modes_each: int = 2) -> Problem:
    """``operations`` single-operation jobs, each runnable on ``modes_each`` machines."""
    return Problem(
        machines(modes_each),
        tuple(Job(f"j{i}") for i in range(operations)),
        tuple(op(f"o{i}", i, *((m, 3 + m) for m in range(modes_each))) for i in range(operations)),
        objectives=(Objective.MAKESPAN,),
    )


def test_features_count_operations_machines_and_flexibility():
    features = Features.of(makespan_problem(10, modes_each=3))
    assert features.operations == 10
    assert features.machines == 3
    assert features.flexibility == 3.0
    assert features.operations_per_job == 1.0


def test_a_small_instance_gets_a_short_fixed_tabu_phase():
    strategy = choose_strategy(
        makespan_problem(SMALL_INSTANCE), improve_share=None, use_improve_phase=True
    )
    assert strategy.heuristic is Heuristic.TABU
    assert strategy.min_share == strategy.max_share <= 0.25


def test_a_large_instance_gets_a_longer_phase_that_ends_when_the_search_stagnates():
    strategy = choose_strategy(
        makespan_problem(SMALL_INSTANCE + 1), improve_share=None, use_improve_phase=True
    )
    assert strategy.heuristic is Heuristic.TABU
    assert strategy.min_share < strategy.max_share
    assert strategy.max_share > 0.5
    assert strategy.patience_share < strategy.max_share - strategy.min_share


def test_a_problem_with_due_dates_gets_squeaky_wheel():
    problem = makespan_problem(20)
    with_due = dataclasses.replace(
        problem,
        jobs=tuple(Job(j.name, due=5) for j in problem.jobs),
        objectives=DEFAULT_OBJECTIVES,
    )
    strategy = choose_strategy(with_due, improve_share=None, use_improve_phase=True)
    assert strategy.heuristic is Heuristic.SQUEAKY_WHEEL


def test_a_fixed_share_overrides_the_features():
    strategy = choose_strategy(makespan_problem(500), improve_share=0.4, use_improve_phase=True)
    assert (strategy.min_share, strategy.max_share) == (0.4, 0.4)


def test_switching_the_improve_phase_off_leaves_cp_sat_alone():
    strategy = choose_strategy(makespan_problem(500), improve_share=None, use_improve_phase=False)
    assert strategy.heuristic is Heuristic.NONE


def test_an_instance_too_large_for_cp_sat_gets_the_heuristic_alone():
    strategy = choose_strategy(
        makespan_problem(CP_SAT_OPERATIONS + 1), improve_share=None, use_improve_phase=True
    )
    assert not strategy.use_cp_sat
    assert strategy.heuristic is Heuristic.TABU
    assert strategy.min_share == strategy.max_share == 1.0


def test_cp_sat_polishes_long_machine_sequences_with_neighbourhood_workers_only():
    # Two machines: a large instance has far more than LONG_SEQUENCES operations on each.
    long_sequences = makespan_problem(max(SMALL_INSTANCE + 1, 2 * LONG_SEQUENCES))
    assert polish_by_neighbourhoods_only(long_sequences, workers=2)


def test_cp_sat_keeps_its_bound_worker_elsewhere():
    operations = SMALL_INSTANCE + 1
    short_sequences = makespan_problem(operations, modes_each=operations // LONG_SEQUENCES + 1)
    assert not polish_by_neighbourhoods_only(short_sequences, workers=2)
    small = makespan_problem(SMALL_INSTANCE)
    assert not polish_by_neighbourhoods_only(small, workers=2)
    long_sequences = makespan_problem(2 * SMALL_INSTANCE)
    assert not polish_by_neighbourhoods_only(long_sequences, workers=1)  # next to the tabu
    assert not polish_by_neighbourhoods_only(long_sequences, workers=8)  # not measured
    with_due = dataclasses.replace(
        long_sequences,
        jobs=tuple(Job(j.name, due=5) for j in long_sequences.jobs),
        objectives=DEFAULT_OBJECTIVES,
    )
    assert not polish_by_neighbourhoods_only(with_due, workers=2)


def test_solving_a_large_instance_with_a_neighbourhood_polish_gives_a_valid_plan():
    problem = makespan_problem(SMALL_INSTANCE + 1)
    assert polish_by_neighbourhoods_only(problem, workers=2)
    result = solve(problem, SolveOptions(time_limit=1.0, workers=2, seed=1))
    assert_valid(problem, result)


def test_solving_without_cp_sat_still_gives_a_valid_plan_and_a_bound(monkeypatch):
    monkeypatch.setattr(portfolio, "CP_SAT_OPERATIONS", 10)
    problem = makespan_problem(12)
    result = solve(problem, SolveOptions(time_limit=0.5, seed=1))
    assert_valid(problem, result)
    assert result.found_by in ("dispatch", "local search")
    # The bound of 12 jobs of 3 s on M0 or 4 s on M1 comes from the lower bound, not CP-SAT.
    assert result.bound is not None and 0 < result.bound <= result.makespan
