"""Problem.validate() names the bad item and says what is wrong with it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Operation,
    Placement,
    Precedence,
    Problem,
    ProblemError,
    Window,
)

from .instances import machines, op


def sound() -> Problem:
    operations = (
        op("o0", 0, (0, 1)),
        op("o1", 0, (1, 2)),
        op("o2", 1, (2, 3)),
        op("o3", 1, (3, 4), (0, 1)),
    )
    transport = tuple(tuple(0 if a == b else 1 for b in range(4)) for a in range(4))
    return Problem(machines(4), (Job("j0"), Job("j1")), operations, (Precedence(0, 1),), transport)


def rejects(problem: Problem, message: str) -> None:
    with pytest.raises(ProblemError, match=re.escape(message)):
        problem.validate()


def with_operation(index: int, operation: Operation) -> Problem:
    problem = sound()
    operations = list(problem.operations)
    operations[index] = operation
    return dataclasses.replace(problem, operations=tuple(operations))


def test_a_sound_problem_passes():
    sound().validate()


def test_problem_error_is_a_value_error():
    assert issubclass(ProblemError, ValueError)


def test_mode_on_a_missing_machine_is_named():
    bad = with_operation(3, op("o3", 1, (3, 4), (7, 1)))
    rejects(bad, "operation 'o3' (index 3): mode 1 refers to machine 7, but there are 4 machines")


def test_negative_duration_is_rejected():
    rejects(
        with_operation(2, op("o2", 1, (2, -1))), "operation 'o2' (index 2): mode 0 has duration -1"
    )


def test_non_integer_duration_is_rejected():
    bad = with_operation(0, Operation("o0", 0, (Mode(0, 1.5),)))
    rejects(bad, "operation 'o0' (index 0): mode 0 has duration 1.5")


def test_operation_without_modes_is_rejected():
    rejects(with_operation(1, Operation("o1", 0, ())), "operation 'o1' (index 1): has no modes")


def test_operation_of_a_missing_job_is_named():
    rejects(with_operation(1, op("o1", 5, (1, 2))), "operation 'o1' (index 1): refers to job 5")


def test_precedence_to_a_missing_operation_is_named():
    bad = dataclasses.replace(sound(), precedences=(Precedence(0, 9),))
    rejects(bad, "precedence 0 (0 -> 9): refers to operation 9, but there are 4 operations")


def test_negative_min_delay_is_rejected():
    bad = dataclasses.replace(sound(), precedences=(Precedence(0, 1, min_delay=-2),))
    rejects(bad, "precedence 0 (0 -> 1): min_delay must be an integer >= 0")


def test_precedence_cycle_names_its_operations():
    cycle = (Precedence(0, 1), Precedence(1, 3), Precedence(3, 0))
    bad = dataclasses.replace(sound(), precedences=cycle)
    with pytest.raises(ProblemError, match="cycle") as error:
        bad.validate()
    assert all(name in str(error.value) for name in ("'o0'", "'o1'", "'o3'"))


def test_an_operation_cannot_precede_itself():
    bad = dataclasses.replace(sound(), precedences=(Precedence(2, 2),))
    rejects(bad, "precedences form a cycle: 'o2'")


def test_transport_must_have_a_row_per_machine():
    bad = dataclasses.replace(sound(), transport=((0, 1, 1, 1),) * 3)
    rejects(bad, "transport matrix has 3 rows, but there are 4 machines")


def test_transport_rows_must_be_square():
    bad = dataclasses.replace(sound(), transport=((0, 1, 1, 1),) * 3 + ((0, 1),))
    rejects(bad, "transport matrix row 3 has 2 entries, but there are 4 machines")


def test_negative_transport_is_named_by_machines():
    rows = [[0] * 4 for _ in range(4)]
    rows[1][2] = -5
    bad = dataclasses.replace(sound(), transport=rows)
    rejects(bad, "transport[1][2] (from 'M1' to 'M2') must be an integer >= 0, got -5")


def test_negative_weight_is_rejected():
    bad = dataclasses.replace(sound(), jobs=(Job("j0"), Job("j1", weight=-1)))
    rejects(bad, "job 'j1' (index 1): weight must be an integer >= 0, got -1")


def test_negative_due_date_is_allowed_for_jobs_already_late():
    dataclasses.replace(sound(), jobs=(Job("j0", due=-100), Job("j1"))).validate()


def test_machine_names_must_be_unique():
    bad = dataclasses.replace(sound(), machines=(*machines(3), Machine("M1")))
    rejects(bad, "machine 'M1' (index 3): name already used by machine 1")


def test_capacity_below_one_is_rejected():
    bad = dataclasses.replace(sound(), machines=(Machine("M0", capacity=0), *machines(4)[1:]))
    rejects(bad, "machine 'M0' (index 0): capacity must be an integer >= 1, got 0")


def test_availability_windows_must_be_non_empty_and_in_order():
    empty = Machine("M0", availability=(Window(5, 5),))
    rejects(
        dataclasses.replace(sound(), machines=(empty, *machines(4)[1:])),
        "machine 'M0' (index 0): availability window 0 [5, 5) is empty",
    )
    unordered = Machine("M0", availability=(Window(10, 20), Window(15, None)))
    rejects(
        dataclasses.replace(sound(), machines=(unordered, *machines(4)[1:])),
        "availability window 1 starts before window 0 ends",
    )


def test_changeovers_need_unit_capacity_and_non_negative_seconds():
    batch = Machine("M0", capacity=2, changeovers=(Changeover("a", "b", 3),))
    rejects(
        dataclasses.replace(sound(), machines=(batch, *machines(4)[1:])),
        "changeovers need capacity 1",
    )
    negative = Machine("M0", changeovers=(Changeover("a", "b", -3),))
    rejects(
        dataclasses.replace(sound(), machines=(negative, *machines(4)[1:])),
        "changeover 'a' -> 'b' must take an integer >= 0 seconds, got -3",
    )
    twice = Machine("M0", changeovers=(Changeover("a", "b", 1), Changeover("a", "b", 2)))
    rejects(
        dataclasses.replace(sound(), machines=(twice, *machines(4)[1:])),
        "changeover 'a' -> 'b' listed twice",
    )


def test_a_frozen_operation_must_sit_on_one_of_its_machines():
    bad = with_operation(2, Operation("o2", 1, (Mode(2, 3),), frozen=Placement(3, 0)))
    rejects(bad, "operation 'o2' (index 2): frozen placement is on machine 'M3' (index 3)")


def test_a_previous_placement_must_name_a_machine_that_exists():
    previous = (None, None, Placement(9, 0), None)
    rejects(
        dataclasses.replace(sound(), previous_plan=previous),
        "operation 'o2' (index 2): previous placement refers to machine 9, but there are 4",
    )
