"""Batch capacity, availability windows and sequence-dependent changeovers."""

from __future__ import annotations

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Operation,
    Precedence,
    Problem,
    SolveOptions,
    SolveStatus,
    Window,
    schedule_violations,
    solve,
)
from pnp.scheduler.heuristics.dispatch import dispatch

from .checker import assert_valid
from .instances import op

FAST = SolveOptions(time_limit=2.0, seed=1)


def solved(problem: Problem):
    result = solve(problem, FAST)
    assert_valid(problem, result)
    return result


def painted(name: str, colour: str, seconds: int = 2) -> Operation:
    return Operation(name, 0, (Mode(0, seconds, colour),))


# --- batch capacity -------------------------------------------------------------------


def test_a_batch_machine_runs_up_to_its_capacity_side_by_side():
    oven = Machine("oven", capacity=3)
    problem = Problem((oven,), (Job("j"),), [op(f"bake{i}", 0, (0, 10)) for i in range(6)])
    result = solved(problem)
    assert result.makespan == 20
    assert sorted(s.start for s in result.schedule) == [0, 0, 0, 10, 10, 10]


def test_the_load_bound_scales_with_capacity_so_a_batch_optimum_is_proven():
    oven = Machine("oven", capacity=2)
    problem = Problem((oven,), (Job("j"),), [op(f"bake{i}", 0, (0, 7)) for i in range(4)])
    result = solved(problem)
    assert result.status is SolveStatus.OPTIMAL
    assert result.makespan == 14


# --- availability windows -------------------------------------------------------------


def test_work_waits_for_maintenance_to_end():
    mill = Machine("mill", availability=(Window(None, 4), Window(10, None)))
    problem = Problem((mill,), (Job("j"),), (op("a", 0, (0, 5)),))
    result = solved(problem)
    assert result.schedule[0].start == 10  # 5 s does not fit before 4


def test_short_work_fits_before_maintenance():
    mill = Machine("mill", availability=(Window(None, 4), Window(10, None)))
    problem = Problem((mill,), (Job("j"),), (op("a", 0, (0, 3)), op("b", 0, (0, 5))))
    result = solved(problem)
    assert (result.schedule[0].start, result.schedule[1].start) == (0, 10)
    assert result.makespan == 15


def test_a_drained_module_gets_no_work_after_it_leaves():
    # M0 leaves at time 5; the second operation must go to the slower M1.
    leaving = Machine("M0", availability=(Window(None, 5),))
    problem = Problem(
        (leaving, Machine("M1")),
        (Job("j"),),
        (op("a", 0, (0, 4), (1, 8)), op("b", 0, (0, 4), (1, 8))),
        (Precedence(0, 1),),
    )
    result = solved(problem)
    assert [s.machine for s in result.schedule] == [0, 1]
    assert result.makespan == 12


def test_a_module_not_plugged_in_yet_is_used_once_it_arrives():
    arriving = Machine("fast", availability=(Window(20, None),))
    problem = Problem((arriving, Machine("slow")), (Job("j"),), (op("a", 0, (0, 5), (1, 40)),))
    result = solved(problem)
    assert (result.schedule[0].machine, result.schedule[0].start) == (0, 20)


def test_work_that_fits_no_window_is_infeasible():
    tiny = Machine("M0", availability=(Window(0, 3), Window(5, 8)))
    result = solve(Problem((tiny,), (Job("j"),), (op("a", 0, (0, 4)),)), FAST)
    assert result.status is SolveStatus.INFEASIBLE
    assert result.schedule == ()


# --- changeovers ----------------------------------------------------------------------


def test_same_colours_are_grouped_to_avoid_changeovers():
    booth = Machine(
        "booth", changeovers=(Changeover("red", "blue", 10), Changeover("blue", "red", 10))
    )
    operations = (
        painted("r1", "red"),
        painted("b1", "blue"),
        painted("r2", "red"),
        painted("b2", "blue"),
    )
    result = solved(Problem((booth,), (Job("j"),), operations))
    assert result.makespan == 8 + 10  # one changeover, not three


def test_an_asymmetric_changeover_picks_the_cheap_direction():
    booth = Machine(
        "booth", changeovers=(Changeover("dark", "light", 30), Changeover("light", "dark", 1))
    )
    result = solved(Problem((booth,), (Job("j"),), (painted("d", "dark"), painted("l", "light"))))
    assert result.makespan == 5
    assert result.schedule[1].start == 0  # light first


def test_a_changeover_is_only_paid_between_consecutive_operations():
    # red -> blue -> green costs 1 + 1 even though red -> green would cost 50.
    booth = Machine(
        "booth",
        changeovers=(
            Changeover("red", "blue", 1),
            Changeover("blue", "green", 1),
            Changeover("red", "green", 50),
            *(
                Changeover(a, b, 50)
                for a, b in [("blue", "red"), ("green", "red"), ("green", "blue")]
            ),
        ),
    )
    operations = (painted("r", "red"), painted("b", "blue"), painted("g", "green"))
    result = solved(Problem((booth,), (Job("j"),), operations))
    assert result.makespan == 6 + 2


def test_operations_without_a_family_need_no_changeover():
    booth = Machine("booth", changeovers=(Changeover("red", "blue", 10),))
    operations = (painted("r", "red"), Operation("clean", 0, (Mode(0, 2),)), painted("b", "blue"))
    result = solved(
        Problem((booth,), (Job("j"),), operations, (Precedence(0, 1), Precedence(1, 2)))
    )
    assert result.makespan == 6


def test_a_zero_length_operation_without_a_family_does_not_skip_a_changeover():
    """The first plan (the dispatcher's, which a short solve returns) keeps the red ->
    blue changeover though a zero-length step without a colour was booked between."""
    booth = Machine("booth", changeovers=(Changeover("red", "blue", 1),))
    operations = (
        painted("r", "red", 4),
        painted("b", "blue", 0),
        Operation("mark", 0, (Mode(0, 0),)),
    )
    problem = Problem((booth,), (Job("j"),), operations)
    assert_valid(problem, solve(problem, SolveOptions(time_limit=0.05, workers=1)))
    assert schedule_violations(problem, dispatch(problem)) == []


def test_changeovers_and_transport_add_up_on_a_flow():
    booth = Machine("booth", changeovers=(Changeover("red", "blue", 4),))
    operations = (
        painted("r", "red", 3),
        Operation("b", 0, (Mode(0, 3, "blue"),)),
        Operation("dry", 0, (Mode(1, 2),)),
    )
    problem = Problem(
        (booth, Machine("dryer")),
        (Job("j"),),
        operations,
        (Precedence(0, 2),),
        ((0, 5), (5, 0)),
    )
    result = solved(problem)
    # r [0,3), dry waits for the move: [8,10); b after the changeover: [7,10).
    assert result.makespan == 10
