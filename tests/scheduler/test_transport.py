"""Transport time between the machines of consecutive steps."""

from __future__ import annotations

from pnp.scheduler import Job, Precedence, Problem, SolveOptions, solve

from .checker import assert_valid
from .instances import machines, op

FAST = SolveOptions(time_limit=2.0, seed=1)


def solved(problem: Problem):
    result = solve(problem, FAST)
    assert_valid(problem, result)
    return result


def two_steps(b_modes, transport, min_delay=0) -> Problem:
    operations = (op("a", 0, (0, 2)), op("b", 0, *b_modes))
    return Problem(machines(2), (Job("j"),), operations, (Precedence(0, 1, min_delay),), transport)


def test_transport_time_separates_steps_on_different_machines():
    result = solved(two_steps([(1, 3)], ((0, 4), (4, 0))))
    assert result.schedule[1].start == 6
    assert result.makespan == 9


def test_transport_adds_to_the_min_delay():
    result = solved(two_steps([(1, 3)], ((0, 4), (4, 0)), min_delay=1))
    assert result.schedule[1].start == 7


def test_staying_on_the_same_machine_avoids_transport():
    # b: M0 3 s (no move) or M1 2 s behind a 10 s move: M0 finishes at 5, M1 at 14.
    result = solved(two_steps([(0, 3), (1, 2)], ((0, 10), (10, 0))))
    assert result.schedule[1].machine == 0
    assert result.makespan == 5


def test_transport_is_worth_paying_for_a_much_faster_machine():
    # b: M0 20 s or M1 2 s behind a 3 s move: 2 + 3 + 2 = 7 beats 22.
    result = solved(two_steps([(0, 20), (1, 2)], ((0, 3), (3, 0))))
    assert result.schedule[1].machine == 1
    assert result.makespan == 7


def test_transport_follows_the_direction_of_the_flow():
    # Moving M0 -> M1 is quick, M1 -> M0 slow; only the M0 -> M1 entry applies.
    result = solved(two_steps([(1, 3)], ((0, 1), (50, 0))))
    assert result.schedule[1].start == 3


def test_no_transport_matrix_means_no_wait():
    result = solved(two_steps([(1, 3)], None))
    assert result.schedule[1].start == 2


def test_transport_applies_on_every_incoming_edge_of_a_join():
    # a (M0) and b (M1) both feed c (M2); a's material takes 9 s to arrive, b's 1 s.
    operations = (op("a", 0, (0, 2)), op("b", 0, (1, 5)), op("c", 0, (2, 1)))
    transport = ((0, 0, 9), (0, 0, 1), (0, 0, 0))
    problem = Problem(
        machines(3), (Job("j"),), operations, (Precedence(0, 2), Precedence(1, 2)), transport
    )
    result = solved(problem)
    assert result.schedule[2].start == 11
    assert result.makespan == 12
