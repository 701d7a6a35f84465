"""The public checker catches broken schedules (so a passing check means something)."""

from __future__ import annotations

import dataclasses

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Operation,
    Placement,
    Precedence,
    Problem,
    Result,
    ScheduledOperation,
    SolveStatus,
    Window,
    check_schedule,
)

from .instances import machines, op

PROBLEM = Problem(
    machines(2),
    (Job("j", due=4),),
    (op("a", 0, (0, 3), (1, 5)), op("b", 0, (0, 2))),
    (Precedence(0, 1),),
    ((0, 1), (1, 0)),
)


def result(*placed: tuple[int, int, int], problem: Problem = PROBLEM, **fields) -> Result:
    """A FEASIBLE result placing operation i as (machine, start, end), figures computed
    as the checker expects unless overridden."""
    schedule = tuple(ScheduledOperation(i, m, s, e) for i, (m, s, e) in enumerate(placed))
    makespan = max(e for _, _, e in placed)
    completion: dict[int, int] = {}
    for s in schedule:
        job = problem.operations[s.operation].job
        completion[job] = max(completion.get(job, s.end), s.end)
    tardiness = sum(
        problem.jobs[j].weight * max(0, end - problem.jobs[j].due)
        for j, end in completion.items()
        if problem.jobs[j].due is not None
    )
    defaults = dict(
        status=SolveStatus.FEASIBLE,
        schedule=schedule,
        objective=float(100 * tardiness + makespan),
        bound=0.0,
        makespan=makespan,
        weighted_tardiness=tardiness,
        solve_seconds=0.0,
        tardiness_weight=100,
    )
    return Result(**{**defaults, **fields})


def test_a_sound_schedule_has_no_violations():
    assert check_schedule(PROBLEM, result((0, 0, 3), (0, 3, 5))) == []
    assert check_schedule(PROBLEM, result((1, 0, 5), (0, 6, 8))) == []


def test_wrong_machine_or_duration_is_caught():
    assert check_schedule(PROBLEM, result((0, 0, 3), (1, 3, 5)))
    assert check_schedule(PROBLEM, result((0, 0, 4), (0, 4, 6)))


def test_broken_precedence_or_missing_transport_is_caught():
    assert check_schedule(PROBLEM, result((0, 2, 5), (0, 0, 2)))
    assert check_schedule(PROBLEM, result((1, 0, 5), (0, 5, 7)))


def test_overlap_on_a_machine_is_caught():
    unordered = dataclasses.replace(PROBLEM, precedences=())
    assert check_schedule(unordered, result((0, 0, 3), (0, 2, 4), problem=unordered))


def test_a_zero_length_operation_may_touch_but_not_sit_inside_another():
    problem = Problem(machines(1), (Job("j"),), (op("a", 0, (0, 4)), op("z", 0, (0, 0))))
    assert check_schedule(problem, result((0, 0, 4), (0, 4, 4), problem=problem)) == []
    assert check_schedule(problem, result((0, 0, 4), (0, 2, 2), problem=problem))


def test_misreported_figures_are_caught():
    assert check_schedule(PROBLEM, result((0, 0, 3), (0, 3, 5), makespan=4))
    assert check_schedule(PROBLEM, result((0, 0, 3), (0, 3, 5), weighted_tardiness=0))
    assert check_schedule(PROBLEM, result((0, 0, 3), (0, 3, 5), objective=1.0))
    assert check_schedule(PROBLEM, result((0, 0, 3), (0, 3, 5), moved_operations=1))


def test_a_bound_above_the_objective_or_an_optimum_with_a_gap_is_caught():
    assert check_schedule(PROBLEM, result((0, 0, 3), (0, 3, 5), bound=1000.0))
    assert check_schedule(
        PROBLEM, result((0, 0, 3), (0, 3, 5), status=SolveStatus.OPTIMAL, bound=0.0)
    )


def test_a_result_without_solution_must_not_carry_a_schedule():
    unknown = result((0, 0, 3), (0, 3, 5), status=SolveStatus.UNKNOWN)
    assert check_schedule(PROBLEM, unknown)


def test_a_batch_machine_may_run_up_to_its_capacity_at_once():
    oven = Problem((Machine("oven", capacity=2),), (Job("j"),), [op(n, 0, (0, 4)) for n in "abc"])
    assert check_schedule(oven, result((0, 0, 4), (0, 0, 4), (0, 4, 8), problem=oven)) == []
    assert check_schedule(oven, result((0, 0, 4), (0, 0, 4), (0, 2, 6), problem=oven))


def test_work_outside_the_availability_windows_is_caught():
    spec = Machine("M0", availability=(Window(None, 10), Window(20, None)))
    problem = Problem((spec,), (Job("j"),), (op("a", 0, (0, 5)),))
    assert check_schedule(problem, result((0, 5, 10), problem=problem)) == []
    assert check_schedule(problem, result((0, 20, 25), problem=problem)) == []
    assert check_schedule(problem, result((0, 8, 13), problem=problem))


def test_a_missing_changeover_is_caught():
    paint = Machine("paint", changeovers=(Changeover("red", "blue", 3),))
    operations = (
        Operation("r", 0, (Mode(0, 2, "red"),)),
        Operation("b", 0, (Mode(0, 2, "blue"),)),
    )
    problem = Problem((paint,), (Job("j"),), operations)
    assert check_schedule(problem, result((0, 0, 2), (0, 5, 7), problem=problem)) == []
    assert check_schedule(problem, result((0, 0, 2), (0, 3, 5), problem=problem))
    # blue -> red is free: only listed pairs take time.
    assert check_schedule(problem, result((0, 2, 4), (0, 0, 2), problem=problem)) == []


def test_a_frozen_operation_must_stay_where_it_is_even_before_time_zero():
    operations = (Operation("done", 0, (Mode(0, 5), Mode(1, 5)), frozen=Placement(1, -5)),)
    problem = Problem(machines(2), (Job("j"),), operations)
    assert check_schedule(problem, result((1, -5, 0), problem=problem)) == []
    assert check_schedule(problem, result((0, -5, 0), problem=problem))
    assert check_schedule(problem, result((1, 0, 5), problem=problem))


def test_moves_off_the_previous_plan_are_counted():
    problem = dataclasses.replace(PROBLEM, previous_plan=(Placement(1, 0), Placement(0, 6)))
    moved = result((0, 0, 3), (0, 3, 5), problem=problem, moved_operations=1, stability_weight=7)
    assert check_schedule(problem, moved)  # objective ignores the move
    fixed = dataclasses.replace(moved, objective=moved.objective + 7)
    assert check_schedule(problem, fixed) == []
