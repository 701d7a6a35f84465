"""Replanning: frozen operations stay put, the previous plan is kept where it can be,
and the objectives are ranked as the problem says."""

from __future__ import annotations

import dataclasses

import pytest

from pnp.scheduler import (
    Job,
    Machine,
    Mode,
    Objective,
    Operation,
    Placement,
    Precedence,
    Problem,
    ProblemError,
    SolveOptions,
    Window,
    solve,
)

from .checker import assert_valid
from .instances import machines, op

FAST = SolveOptions(time_limit=2.0, seed=1)


def solved(problem: Problem):
    result = solve(problem, FAST)
    assert_valid(problem, result)
    return result


def frozen(name: str, job: int, machine: int, start: int, duration: int) -> Operation:
    return Operation(name, job, (Mode(machine, duration),), frozen=Placement(machine, start))


# --- frozen operations ----------------------------------------------------------------


def test_a_running_operation_keeps_its_machine_and_start_and_blocks_the_machine():
    operations = (frozen("running", 0, 0, -3, 10), op("next", 1, (0, 4)))
    result = solved(Problem(machines(1), (Job("a"), Job("b")), operations))
    assert (result.schedule[0].start, result.schedule[0].end) == (-3, 7)
    assert result.schedule[1].start == 7


def test_a_done_operation_still_delays_its_successor_by_transport():
    operations = (frozen("cut", 0, 0, -10, 4), op("weld", 0, (1, 3)))
    problem = Problem(machines(2), (Job("j"),), operations, (Precedence(0, 1),), ((0, 9), (9, 0)))
    result = solved(problem)
    assert result.schedule[1].start == -6 + 9  # ended at -6, then a 9 s move


def test_frozen_operations_may_lie_before_time_zero_but_free_ones_start_at_zero():
    operations = (frozen("old", 0, 0, -50, 10), op("new", 1, (0, 5)))
    result = solved(Problem(machines(1), (Job("a"), Job("b")), operations))
    assert result.schedule[1].start == 0
    assert result.makespan == 5


def test_a_frozen_operation_whose_predecessor_is_not_frozen_is_refused():
    operations = (op("first", 0, (0, 2)), frozen("second", 0, 0, 0, 2))
    problem = Problem(machines(1), (Job("j"),), operations, (Precedence(0, 1),))
    with pytest.raises(ProblemError, match="its predecessor operation 'first'"):
        problem.validate()


def test_a_frozen_operation_on_a_module_that_is_gone_is_refused_not_silently_moved():
    gone = Machine("M0", availability=(Window(None, 0),))
    problem = Problem((gone,), (Job("j"),), (frozen("running", 0, 0, -2, 5),))
    with pytest.raises(ProblemError, match="unfreeze it"):
        problem.validate()


def test_frozen_operations_that_overbook_a_machine_are_refused():
    operations = (frozen("a", 0, 0, 0, 5), frozen("b", 0, 0, 3, 5))
    with pytest.raises(ProblemError, match="overbook machine 'M0'"):
        Problem(machines(1), (Job("j"),), operations).validate()


# --- previous plan and stability -------------------------------------------------------


def balanced() -> Problem:
    """Four equal jobs on two equal machines; any 2/2 split is optimal."""
    operations = tuple(op(f"o{i}", i, (0, 5), (1, 5)) for i in range(4))
    return Problem(machines(2), tuple(Job(f"j{i}") for i in range(4)), operations)


def test_with_a_previous_plan_operations_keep_their_machines():
    previous = (Placement(1, 0), Placement(1, 5), Placement(0, 0), Placement(0, 5))
    result = solved(dataclasses.replace(balanced(), previous_plan=previous))
    assert [s.machine for s in result.schedule] == [1, 1, 0, 0]
    assert result.moved_operations == 0


def test_a_lost_machine_moves_only_its_own_operations():
    # M2 leaves now; its operation must move, the others stay although moving one of
    # them to M2's former share would not shorten anything.
    leaving = Machine("M2", availability=(Window(None, 0),))
    problem = Problem(
        (*machines(2), leaving),
        tuple(Job(f"j{i}") for i in range(3)),
        tuple(op(f"o{i}", i, (0, 5), (1, 5), (2, 5)) for i in range(3)),
        previous_plan=(Placement(0, 0), Placement(1, 0), Placement(2, 0)),
    )
    result = solved(problem)
    assert [s.machine for s in result.schedule[:2]] == [0, 1]
    assert result.moved_operations == 1


def test_by_default_makespan_ranks_above_stability_so_a_new_module_takes_work():
    # Both ran on M0 before; M1 has just been plugged in. Moving one halves the makespan.
    previous = (Placement(0, 0), Placement(0, 5))
    operations = (op("a", 0, (0, 5), (1, 5)), op("b", 1, (0, 5), (1, 5)))
    problem = Problem(machines(2), (Job("a"), Job("b")), operations, previous_plan=previous)
    result = solved(problem)
    assert result.makespan == 5
    assert result.moved_operations == 1
    assert result.makespan_weight > result.stability_weight > 0


def test_ranking_stability_above_makespan_keeps_work_where_it_was():
    previous = (Placement(0, 0), Placement(0, 5))
    operations = (op("a", 0, (0, 5), (1, 5)), op("b", 1, (0, 5), (1, 5)))
    problem = Problem(
        machines(2),
        (Job("a"), Job("b")),
        operations,
        previous_plan=previous,
        objectives=(Objective.WEIGHTED_TARDINESS, Objective.PLAN_STABILITY, Objective.MAKESPAN),
    )
    result = solved(problem)
    assert result.makespan == 10
    assert result.moved_operations == 0


def test_due_dates_outrank_stability_by_default():
    # Both due at 5: keeping both on M0 makes one late; moving b to M1 meets both.
    previous = (Placement(0, 0), Placement(0, 5))
    operations = (op("a", 0, (0, 5)), op("b", 1, (0, 5), (1, 5)))
    jobs = (Job("a", due=5), Job("b", due=5))
    result = solved(Problem(machines(2), jobs, operations, previous_plan=previous))
    assert result.weighted_tardiness == 0
    assert result.moved_operations == 1


def test_without_makespan_in_the_objectives_it_has_no_weight():
    problem = dataclasses.replace(balanced(), objectives=(Objective.WEIGHTED_TARDINESS,))
    result = solved(problem)
    assert result.makespan_weight == 0
    assert result.objective == 0


def test_objectives_must_be_a_ranking_without_repeats():
    with pytest.raises(ProblemError, match="twice"):
        dataclasses.replace(balanced(), objectives=(Objective.MAKESPAN,) * 2).validate()
    with pytest.raises(ProblemError, match="empty"):
        dataclasses.replace(balanced(), objectives=()).validate()


def test_a_previous_plan_must_cover_every_operation():
    with pytest.raises(ProblemError, match="previous_plan has 1 entries, but there are 4"):
        dataclasses.replace(balanced(), previous_plan=(None,)).validate()
