"""Due dates and weights: weighted tardiness first, makespan second."""

from __future__ import annotations

from pnp.scheduler import Job, Precedence, Problem, SolveOptions, solve

from .checker import assert_valid
from .instances import machines, op

FAST = SolveOptions(time_limit=2.0, seed=1)


def solved(problem: Problem):
    result = solve(problem, FAST)
    assert_valid(problem, result)
    return result


def test_heavy_late_job_goes_first():
    # Both due at 0 on one machine. Heavy first: 10*5 + 1*10 = 60; light first: 5 + 100.
    jobs = (Job("light", weight=1, due=0), Job("heavy", weight=10, due=0))
    problem = Problem(machines(1), jobs, (op("a", 0, (0, 5)), op("b", 1, (0, 5))))
    result = solved(problem)
    assert result.schedule[1].start == 0
    assert result.weighted_tardiness == 60
    assert result.makespan == 10


def test_job_due_sooner_goes_first_when_weights_are_equal():
    jobs = (Job("later", due=20), Job("sooner", due=5))
    problem = Problem(machines(1), jobs, (op("a", 0, (0, 5)), op("b", 1, (0, 5))))
    result = solved(problem)
    assert result.schedule[1].start == 0
    assert result.weighted_tardiness == 0


def test_meeting_a_due_date_beats_a_shorter_makespan():
    # x1 (M0, 5 s) -> x2 (M1, 30 s) has no due date; y (M0, 5 s) is due at 9. Running x1
    # first gives makespan 35 with y 1 s late; running y first gives makespan 40 on time.
    # One second of tardiness must outweigh five of makespan (a plain sum would not).
    jobs = (Job("x"), Job("y", weight=1, due=9))
    operations = (op("x1", 0, (0, 5)), op("x2", 0, (1, 30)), op("y", 1, (0, 5)))
    result = solved(Problem(machines(2), jobs, operations, (Precedence(0, 1),)))
    assert result.weighted_tardiness == 0
    assert result.makespan == 40
    assert result.schedule[2].start == 0


def test_among_equally_tardy_schedules_the_shortest_wins():
    # Same instance, but y's due date is out of reach of any ordering: makespan decides.
    jobs = (Job("x"), Job("y", weight=1, due=100))
    operations = (op("x1", 0, (0, 5)), op("x2", 0, (1, 30)), op("y", 1, (0, 5)))
    result = solved(Problem(machines(2), jobs, operations, (Precedence(0, 1),)))
    assert result.weighted_tardiness == 0
    assert result.makespan == 35


def test_a_job_already_late_counts_its_whole_lateness():
    problem = Problem(machines(1), (Job("j", weight=2, due=-10),), (op("a", 0, (0, 5)),))
    result = solved(problem)
    assert result.weighted_tardiness == 2 * 15


def test_tardiness_counts_from_the_jobs_last_operation():
    jobs = (Job("j", due=6),)
    operations = (op("a", 0, (0, 4)), op("b", 0, (1, 4)))
    result = solved(Problem(machines(2), jobs, operations, (Precedence(0, 1),)))
    assert result.weighted_tardiness == 2


def test_a_zero_weight_job_may_be_late_for_free():
    jobs = (Job("free", weight=0, due=0), Job("paid", weight=1, due=5))
    problem = Problem(machines(1), jobs, (op("a", 0, (0, 5)), op("b", 1, (0, 5))))
    result = solved(problem)
    assert result.schedule[1].start == 0
    assert result.weighted_tardiness == 0


def test_without_due_dates_the_objective_is_the_makespan():
    problem = Problem(machines(1), (Job("j"),), (op("a", 0, (0, 5)), op("b", 0, (0, 7))))
    result = solved(problem)
    assert result.tardiness_weight == 0
    assert result.objective == result.makespan == 12
    assert result.weighted_tardiness == 0


def test_with_due_dates_the_objective_puts_tardiness_first():
    jobs = (Job("j", weight=1, due=3),)
    result = solved(Problem(machines(1), jobs, (op("a", 0, (0, 5)),)))
    assert result.tardiness_weight > result.makespan
    assert result.objective == result.tardiness_weight * 2 + 5
