"""The large-neighbourhood search: CP-SAT on a slice of the plan, the rest fixed."""

from __future__ import annotations

import importlib
import random
import time

import pytest

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Operation,
    Placement,
    Problem,
    ScheduledOperation,
    SolveOptions,
    schedule_violations,
    solve,
)
from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.incumbent import Incumbent
from pnp.scheduler.lns import FOUND_BY, LargeNeighbourhoodSearch
from pnp.scheduler.metrics import makespan, weighted_tardiness
from pnp.scheduler.model.horizon import earliest, horizon
from pnp.scheduler.model.objective import objective_weights

from .checker import assert_valid
from .instances import random_problem, with_factory_features

NO_DEADLINE = float("inf")
# The module, not the function the package exports under the same name.
solve_module = importlib.import_module("pnp.scheduler.solve")


def searched(problem: Problem, plan, rounds: int, seed: int = 0, sub_limit: float = 30):
    """Run ``rounds`` sub-problems from ``plan``; return the incumbent, every plan it
    was offered, and the search."""
    weights = objective_weights(problem, earliest(problem), horizon(problem))
    offered: list[tuple[ScheduledOperation, ...]] = []
    incumbent = Incumbent(problem, weights, time.monotonic(), None)
    incumbent.offer(plan, "start")
    keep = incumbent.offer

    def offer(schedule, found_by):
        offered.append(tuple(schedule))
        return keep(schedule, found_by)

    incumbent.offer = offer  # type: ignore[method-assign]
    # Sub-problems this small are solved to optimality long before the default limit
    # here: the outcome does not depend on the machine's speed.
    search = LargeNeighbourhoodSearch(problem, weights, incumbent, seed, sub_limit=sub_limit)
    search.run(deadline=NO_DEADLINE, workers=1, rounds=rounds)
    return incumbent, offered, search


def test_every_plan_it_offers_is_valid_and_better_on_factory_problems():
    for seed in range(12):
        rng = random.Random(seed)
        problem = with_factory_features(rng, random_problem(rng, operation_range=(10, 25)))
        plan = dispatch(problem)
        assert plan is not None, seed
        incumbent, offered, search = searched(problem, plan, rounds=4, seed=seed, sub_limit=1)
        assert search.rejected == 0, seed
        values = [incumbent.value_of(plan)]
        for schedule in offered:
            assert schedule_violations(problem, schedule) == [], seed
            values.append(incumbent.value_of(schedule))
        # Kept plans never get worse by the problem's own ranking.
        assert values == sorted(values, reverse=True), seed


def painted(name: str, job: int, colour: str) -> Operation:
    return Operation(name, job, (Mode(0, 10, colour), Mode(1, 10, colour)))


def test_it_groups_colours_on_booths_to_save_changeovers():
    # Two booths, eight parts alternating red and blue, a 30 s changeover either way:
    # the plan alternates colours on each booth (three changeovers each); grouping
    # them (red on one booth, blue on the other) needs none.
    changeovers = (Changeover("red", "blue", 30), Changeover("blue", "red", 30))
    booths = (Machine("B0", changeovers=changeovers), Machine("B1", changeovers=changeovers))
    colours = ["red", "blue"] * 4
    operations = tuple(painted(f"p{i}", i, c) for i, c in enumerate(colours))
    problem = Problem(booths, tuple(Job(f"j{i}") for i in range(8)), operations)
    alternating, t = [], [0, 0]
    for i in range(len(colours)):
        booth = (i // 2) % 2  # red, blue on B0; red, blue on B1; ...
        alternating.append(ScheduledOperation(i, booth, t[booth], t[booth] + 10))
        t[booth] += 40
    plan = tuple(alternating)
    assert schedule_violations(problem, plan) == []
    incumbent, _, search = searched(problem, plan, rounds=3)
    assert incumbent.best is not None
    assert search.rejected == 0
    assert makespan(incumbent.best.schedule) == 40  # four of one colour per booth


def test_it_moves_late_work_forward_to_meet_due_dates():
    # One machine, a job due at 10 planned last behind two undated ones.
    operations = tuple(Operation(f"o{i}", i, (Mode(0, 10),)) for i in range(3))
    jobs = (Job("later-a"), Job("later-b"), Job("urgent", weight=3, due=10))
    problem = Problem((Machine("M"),), jobs, operations)
    plan = tuple(ScheduledOperation(i, 0, 10 * i, 10 * i + 10) for i in range(3))
    incumbent, _, _ = searched(problem, plan, rounds=2)
    assert incumbent.best is not None
    assert weighted_tardiness(problem, incumbent.best.schedule) == 0


def test_it_stops_when_asked_from_another_thread():
    rng = random.Random(4)
    problem = with_factory_features(rng, random_problem(rng))
    weights = objective_weights(problem, earliest(problem), horizon(problem))
    incumbent = Incumbent(problem, weights, time.monotonic(), None)
    plan = dispatch(problem)
    assert plan is not None
    incumbent.offer(plan, "dispatch")
    search = LargeNeighbourhoodSearch(problem, weights, incumbent, 0)
    search.stop()
    search.run(deadline=NO_DEADLINE, workers=1)  # returns at once: stopped before it began
    assert search.sub_problems == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_solve_uses_it_on_large_factories_and_returns_a_valid_plan(monkeypatch, workers):
    monkeypatch.setattr(solve_module, "LNS_OPERATIONS", 10)
    rng = random.Random(7)
    problem = with_factory_features(rng, random_problem(rng, operation_range=(30, 40)))
    result = solve(problem, SolveOptions(time_limit=2, workers=workers, seed=1))
    assert_valid(problem, result)
    assert result.found_by in ("dispatch", "squeaky wheel", FOUND_BY)


def test_it_ends_when_nothing_can_move():
    # Everything already ran: no slice frees anything, and the search returns.
    problem = Problem(
        (Machine("M"),),
        (Job("done"),),
        (Operation("o", 0, (Mode(0, 5),), frozen=Placement(0, -5)),),
    )
    _, offered, search = searched(problem, (ScheduledOperation(0, 0, -5, 0),), rounds=3)
    assert offered == [] and search.sub_problems == 0
