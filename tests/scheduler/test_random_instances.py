"""Seeded random instances: every schedule passes the independent checker, and tiny
ones match an exhaustive search."""

from __future__ import annotations

import random

import pytest

from pnp.scheduler import SolveOptions, SolveStatus, solve

from .brute_force import best_tardiness_and_makespan
from .checker import assert_valid
from .instances import random_problem, with_factory_features


@pytest.mark.parametrize("seed", range(10))
def test_random_instance_schedule_is_valid(seed):
    problem = random_problem(random.Random(seed))
    problem.validate()
    result = solve(problem, SolveOptions(time_limit=1.0, workers=2, seed=seed))
    assert result.has_solution
    assert_valid(problem, result)


@pytest.mark.parametrize("seed", range(12))
def test_random_factory_schedule_is_valid(seed):
    # Batch machine, maintenance window, changeovers, frozen operations, previous plan.
    rng = random.Random(500 + seed)
    problem = with_factory_features(rng, random_problem(rng, operation_range=(10, 25)))
    problem.validate()
    result = solve(problem, SolveOptions(time_limit=1.0, workers=2, seed=seed))
    assert result.has_solution
    assert_valid(problem, result)


@pytest.mark.parametrize("seed", range(8))
def test_tiny_random_instance_matches_exhaustive_search(seed):
    rng = random.Random(1000 + seed)
    problem = random_problem(rng, machine_range=(2, 3), operation_range=(3, 5), max_duration=9)
    result = solve(problem, SolveOptions(time_limit=2.0, workers=2, seed=seed))
    assert_valid(problem, result)
    assert result.status is SolveStatus.OPTIMAL
    assert (result.weighted_tardiness, result.makespan) == best_tardiness_and_makespan(problem)
