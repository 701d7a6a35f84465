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
    SMALL_INSTANCE,
    Features,
    Heuristic,
    choose_strategy,
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


def test_solving_without_cp_sat_still_gives_a_valid_plan_and_a_bound(monkeypatch):
    monkeypatch.setattr(portfolio, "CP_SAT_OPERATIONS", 10)
    problem = makespan_problem(12)
    result = solve(problem, SolveOptions(time_limit=0.5, seed=1))
    assert_valid(problem, result)
    assert result.found_by in ("dispatch", "local search")
    # The bound of 12 jobs of 3 s on M0 or 4 s on M1 comes from the lower bound, not CP-SAT.
    assert result.bound is not None and 0 < result.bound <= result.makespan
