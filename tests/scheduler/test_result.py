"""Result's derived properties: gap and has_solution."""

from __future__ import annotations

from pnp.scheduler import Result, SolveStatus


def result(status=SolveStatus.FEASIBLE, objective=None, bound=None) -> Result:
    return Result(status, (), objective, bound, None, None, 0.0)


def test_gap_is_relative_to_the_objective():
    assert result(objective=200.0, bound=150.0).gap == 0.25


def test_gap_is_zero_at_a_proven_optimum():
    assert result(SolveStatus.OPTIMAL, 42.0, 42.0).gap == 0.0


def test_gap_of_a_zero_objective_does_not_divide_by_zero():
    assert result(SolveStatus.OPTIMAL, 0.0, 0.0).gap == 0.0


def test_gap_is_unknown_without_objective_or_bound():
    assert result(objective=10.0).gap is None
    assert result(bound=10.0).gap is None


def test_only_optimal_and_feasible_results_have_a_solution():
    assert result(SolveStatus.OPTIMAL).has_solution
    assert result(SolveStatus.FEASIBLE).has_solution
    assert not result(SolveStatus.INFEASIBLE).has_solution
    assert not result(SolveStatus.UNKNOWN).has_solution


def test_status_values_are_lowercase_words():
    assert [s.value for s in SolveStatus] == ["optimal", "feasible", "infeasible", "unknown"]
