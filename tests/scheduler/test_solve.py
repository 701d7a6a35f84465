"""Solving small hand instances whose optimum is worked out in each test."""

from __future__ import annotations

import pytest

from pnp.scheduler import Job, Precedence, Problem, ProblemError, SolveOptions, SolveStatus, solve

from .checker import assert_valid
from .instances import machines, op

FAST = SolveOptions(time_limit=2.0, workers=2, seed=1)


def solved(problem: Problem):
    result = solve(problem, FAST)
    assert_valid(problem, result)
    return result


def test_single_operation_starts_at_time_zero():
    result = solved(Problem(machines(1), (Job("j"),), (op("a", 0, (0, 5)),)))
    assert result.status is SolveStatus.OPTIMAL
    assert result.schedule[0].start == 0
    assert result.schedule[0].end == 5
    assert result.makespan == 5


def test_operation_takes_the_faster_of_two_machines():
    result = solved(Problem(machines(2), (Job("j"),), (op("a", 0, (0, 7), (1, 3)),)))
    assert result.schedule[0].machine == 1
    assert result.makespan == 3


def test_operations_on_one_machine_run_one_after_another():
    problem = Problem(machines(1), (Job("j0"), Job("j1")), (op("a", 0, (0, 4)), op("b", 1, (0, 6))))
    assert solved(problem).makespan == 10


def test_alternative_modes_balance_work_across_machines():
    # Four 5 s operations, each runnable on either machine: two per machine, 10 s.
    operations = tuple(op(f"o{i}", i, (0, 5), (1, 5)) for i in range(4))
    problem = Problem(machines(2), tuple(Job(f"j{i}") for i in range(4)), operations)
    result = solved(problem)
    assert result.makespan == 10
    assert sorted(s.machine for s in result.schedule) == [0, 0, 1, 1]


def test_a_slower_machine_is_used_when_the_fast_one_is_busy():
    # a: M0 only, 6 s. b: M0 4 s or M1 5 s. Sharing M0 gives 10 s, moving b to M1 gives 6.
    problem = Problem(
        machines(2), (Job("j0"), Job("j1")), (op("a", 0, (0, 6)), op("b", 1, (0, 4), (1, 5)))
    )
    result = solved(problem)
    assert result.schedule[1].machine == 1
    assert result.makespan == 6


def test_precedence_chain_runs_in_order():
    operations = (op("a", 0, (0, 3)), op("b", 0, (1, 4)), op("c", 0, (2, 2)))
    problem = Problem(machines(3), (Job("j"),), operations, (Precedence(0, 1), Precedence(1, 2)))
    result = solved(problem)
    assert [(s.start, s.end) for s in result.schedule] == [(0, 3), (3, 7), (7, 9)]
    assert result.makespan == 9


def test_min_delay_holds_the_next_step_back():
    operations = (op("paint", 0, (0, 3)), op("pack", 0, (1, 4)))
    problem = Problem(machines(2), (Job("j"),), operations, (Precedence(0, 1, min_delay=5),))
    result = solved(problem)
    assert result.schedule[1].start == 8
    assert result.makespan == 12


def test_parallel_branches_join_after_the_longer_one():
    # a -> {b, c} -> d; b and c on different machines run side by side.
    operations = (
        op("a", 0, (0, 2)),
        op("b", 0, (1, 5)),
        op("c", 0, (2, 3)),
        op("d", 0, (0, 1)),
    )
    edges = (Precedence(0, 1), Precedence(0, 2), Precedence(1, 3), Precedence(2, 3))
    result = solved(Problem(machines(3), (Job("j"),), operations, edges))
    assert result.schedule[3].start == 7
    assert result.makespan == 8


def test_parallel_branches_on_one_machine_take_turns():
    operations = (
        op("a", 0, (0, 2)),
        op("b", 0, (1, 5)),
        op("c", 0, (1, 3)),
        op("d", 0, (0, 1)),
    )
    edges = (Precedence(0, 1), Precedence(0, 2), Precedence(1, 3), Precedence(2, 3))
    result = solved(Problem(machines(2), (Job("j"),), operations, edges))
    assert result.makespan == 11


def test_a_job_does_not_start_before_its_release():
    problem = Problem(machines(1), (Job("j", release=10),), (op("a", 0, (0, 3)),))
    result = solved(problem)
    assert result.schedule[0].start == 10
    assert result.makespan == 13


def test_a_release_in_the_past_means_time_zero():
    problem = Problem(machines(1), (Job("j", release=-30),), (op("a", 0, (0, 3)),))
    assert solved(problem).schedule[0].start == 0


def test_a_late_release_lets_another_job_use_the_machine_first():
    jobs = (Job("late", release=5), Job("now"))
    problem = Problem(machines(1), jobs, (op("a", 0, (0, 3)), op("b", 1, (0, 5))))
    result = solved(problem)
    assert result.schedule[1].start == 0
    assert result.makespan == 8


def test_zero_duration_operations_are_legal():
    operations = (op("check", 0, (0, 0)), op("work", 0, (0, 4)), op("sign", 0, (1, 0)))
    edges = (Precedence(0, 1), Precedence(1, 2))
    result = solved(Problem(machines(2), (Job("j"),), operations, edges))
    assert result.makespan == 4
    assert result.schedule[2].start == result.schedule[2].end == 4


def test_only_zero_duration_operations_give_makespan_zero():
    operations = tuple(op(f"o{i}", 0, (0, 0)) for i in range(3))
    result = solved(Problem(machines(1), (Job("j"),), operations, (Precedence(0, 1),)))
    assert result.status is SolveStatus.OPTIMAL
    assert result.makespan == 0


def test_empty_problem_is_optimal_with_nothing_to_do():
    result = solve(Problem(machines(2), (Job("j"),), ()))
    assert result.status is SolveStatus.OPTIMAL
    assert result.schedule == ()
    assert result.makespan == 0
    assert result.weighted_tardiness == 0
    assert result.has_solution
    assert result.gap == 0


def test_small_problems_are_proven_optimal_with_zero_gap():
    operations = tuple(op(f"o{i}", i % 2, (i % 3, 2 + i), ((i + 1) % 3, 3)) for i in range(6))
    result = solved(Problem(machines(3), (Job("j0"), Job("j1")), operations))
    assert result.status is SolveStatus.OPTIMAL
    assert result.has_solution
    assert result.bound == result.objective
    assert result.gap == 0.0
    assert result.solve_seconds >= 0.0


def test_schedule_lists_every_operation_once_in_index_order():
    operations = tuple(op(f"o{i}", 0, (0, 1), (1, 2)) for i in range(5))
    result = solved(Problem(machines(2), (Job("j"),), operations))
    assert [s.operation for s in result.schedule] == [0, 1, 2, 3, 4]
    assert all(isinstance(s.start, int) and isinstance(s.end, int) for s in result.schedule)


def test_solve_rejects_a_malformed_problem():
    problem = Problem(machines(1), (Job("j"),), (op("a", 0, (3, 5)),))
    with pytest.raises(ProblemError, match="machine 3"):
        solve(problem, FAST)


def test_solve_options_reject_nonsense():
    with pytest.raises(ValueError, match="time_limit"):
        SolveOptions(time_limit=0)
    with pytest.raises(ValueError, match="workers"):
        SolveOptions(workers=0)
    with pytest.raises(ValueError, match="improve_share"):
        SolveOptions(improve_share=1.5)


def test_problem_accepts_lists_and_stores_tuples():
    problem = Problem([*machines(1)], [Job("j")], [op("a", 0, (0, 1))], [], [[0]])
    assert problem.operations == (op("a", 0, (0, 1)),)
    assert problem.transport == ((0,),)
    assert solved(problem).makespan == 1
