"""The solve is anytime: it reports progress, and falls back to the dispatch plan."""

from __future__ import annotations

import importlib
import random

from ortools.sat.python import cp_model

from pnp.scheduler import Progress, SolveOptions, SolveStatus, solve

from .checker import assert_valid
from .instances import random_problem


def a_problem():
    return random_problem(random.Random(7), operation_range=(25, 30))


def test_progress_reports_better_plans_and_rising_bounds_ending_at_the_result():
    problem = a_problem()
    seen: list[Progress] = []
    result = solve(problem, SolveOptions(time_limit=2.0, seed=3, on_progress=seen.append))
    assert_valid(problem, result)
    plans = [p.objective for p in seen if p.objective is not None]
    bounds = [p.bound for p in seen if p.bound is not None]
    assert plans == sorted(plans, reverse=True)
    assert bounds == sorted(bounds)
    assert seen[0].found_by == "dispatch"  # the greedy plan comes first
    assert plans[-1] == result.objective
    assert all(p.bound is None or p.objective is None or p.bound <= p.objective for p in seen)
    assert [p.seconds for p in seen] == sorted(p.seconds for p in seen)


def test_the_result_says_who_found_the_plan_and_when_the_first_one_came():
    problem = a_problem()
    result = solve(problem, SolveOptions(time_limit=2.0, seed=3))
    assert result.found_by in {"dispatch", "local search", "cp-sat"}
    assert 0 <= result.first_solution_seconds <= result.solve_seconds


def test_when_cp_sat_finds_nothing_the_dispatch_plan_is_returned(monkeypatch):
    monkeypatch.setattr("pnp.scheduler.cp_sat.CpSatRun.run", lambda self, **_: cp_model.UNKNOWN)
    problem = a_problem()
    result = solve(problem, SolveOptions(time_limit=1.0, use_improve_phase=False))
    assert result.status is SolveStatus.FEASIBLE
    assert result.found_by == "dispatch"
    assert_valid(problem, result)


def test_without_any_plan_the_status_is_unknown(monkeypatch):
    monkeypatch.setattr("pnp.scheduler.cp_sat.CpSatRun.run", lambda self, **_: cp_model.UNKNOWN)
    # ``scheduler.solve`` is also the name of the function, hence the module lookup.
    monkeypatch.setattr(importlib.import_module("pnp.scheduler.solve"), "dispatch", lambda _: None)
    result = solve(a_problem(), SolveOptions(time_limit=1.0))
    assert result.status is SolveStatus.UNKNOWN
    assert result.schedule == ()
    assert result.objective is None


def test_the_dispatch_hint_and_the_improve_phase_can_be_switched_off_for_measuring():
    problem = a_problem()
    options = SolveOptions(time_limit=1.0, use_improve_phase=False, use_dispatch_hint=False)
    result = solve(problem, options)
    assert result.has_solution
    assert_valid(problem, result)
