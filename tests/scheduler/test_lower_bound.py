"""The makespan lower bound computed before any search: never above what a schedule
achieves, and as strong as each of its arguments on instances built for it."""

from __future__ import annotations

import dataclasses
import random

import pytest

from pnp.scheduler import Job, Machine, Objective, Precedence, Problem, SolveOptions, solve
from pnp.scheduler.lower_bound import makespan_lower_bound

from .brute_force import best_tardiness_and_makespan
from .checker import assert_valid
from .instances import machines, op, random_problem, with_factory_features


def makespan_only(problem: Problem) -> Problem:
    return dataclasses.replace(problem, objectives=(Objective.MAKESPAN,))


def jobs(count: int) -> tuple[Job, ...]:
    return tuple(Job(f"j{j}") for j in range(count))


def test_a_chain_cannot_finish_before_its_release_and_shortest_steps():
    problem = Problem(
        machines(2),
        (Job("j", release=4),),
        (op("a", 0, (0, 3), (1, 5)), op("b", 0, (1, 2))),
        (Precedence(0, 1, min_delay=1),),
    )
    assert makespan_lower_bound(problem) == 4 + 3 + 1 + 2


def test_work_that_only_one_machine_can_do_adds_up():
    problem = Problem(machines(2), jobs(3), tuple(op(f"o{i}", i, (0, 4)) for i in range(3)))
    assert makespan_lower_bound(problem) == 12


def test_shared_fast_machine_cannot_take_all_the_work():
    # Four operations: 2 s on M0 or 6 s on M1. Fastest modes say 8 s of work on two
    # machines (4 s), but M0 alone would need 8 s; the LP balances 3 on M0 and part
    # of one on M1: C with 2(4 - x) = C and 6x = C, so C = 6.
    operations = tuple(op(f"o{i}", i, (0, 2), (1, 6)) for i in range(4))
    problem = Problem(machines(2), jobs(4), operations)
    assert makespan_lower_bound(problem) == 6
    assert solve(problem, SolveOptions(time_limit=2.0, seed=1)).makespan == 6


def test_a_batch_machine_divides_its_work_by_its_capacity():
    problem = Problem(
        (Machine("oven", capacity=3),), jobs(6), tuple(op(f"o{i}", i, (0, 5)) for i in range(6))
    )
    assert makespan_lower_bound(problem) == 10


@pytest.mark.parametrize("seed", range(10))
def test_bound_is_never_above_the_optimum_of_a_tiny_instance(seed):
    rng = random.Random(2000 + seed)
    problem = makespan_only(
        random_problem(rng, machine_range=(2, 3), operation_range=(3, 5), max_duration=9)
    )
    _, optimum = best_tardiness_and_makespan(problem)
    assert makespan_lower_bound(problem) <= optimum


@pytest.mark.parametrize("seed", range(10))
def test_bound_is_never_above_a_valid_factory_schedule(seed):
    # Batch machines, maintenance, changeovers, frozen operations started in the past.
    rng = random.Random(3000 + seed)
    problem = makespan_only(
        with_factory_features(rng, random_problem(rng, operation_range=(10, 25)))
    )
    result = solve(problem, SolveOptions(time_limit=1.0, seed=seed))
    assert_valid(problem, result)
    assert result.makespan is not None
    assert makespan_lower_bound(problem) <= result.makespan
    assert result.bound is not None and result.bound <= result.makespan
