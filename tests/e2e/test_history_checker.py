"""The independent history checker catches what it is there to catch."""

from __future__ import annotations

import copy
import json

import pytest

from pnp.v1 import attempt_pb2
from tests.e2e.history_checker import check_history
from tests.e2e.test_plan_checker import MODULES, ORDER


def attempt(op, module_id, start, end, state=attempt_pb2.ATTEMPT_STATE_COMPLETE, parameters=None):
    a = attempt_pb2.Attempt(
        execution_id=f"x-{op}-{start}",
        operation_id=op,
        order_id="o1",
        module_id=module_id,
        state=state,
        parameters_json=json.dumps(parameters or {}),
    )
    a.started_at.FromSeconds(start)
    a.ended_at.FromSeconds(end)
    return a


CUT = {"material": "steel-s235", "thickness_mm": 3.0}
GOOD = [attempt("o1/cut", "laser", 0, 210, parameters=CUT), attempt("o1/look", "eye", 230, 305)]


def test_a_sound_history_passes():
    assert check_history([ORDER], GOOD, MODULES) == []


def test_a_failed_attempt_before_the_completed_one_is_fine():
    failed = attempt(
        "o1/cut", "laser", 0, 50, state=attempt_pb2.ATTEMPT_STATE_FAILED, parameters=CUT
    )
    history = [
        failed,
        attempt("o1/cut", "laser", 60, 270, parameters=CUT),
        attempt("o1/look", "eye", 300, 375),
    ]
    assert check_history([ORDER], history, MODULES) == []


@pytest.mark.parametrize(
    ("history", "complaint"),
    [
        ([GOOD[0]], "o1/look completed 0 times"),
        ([*GOOD, attempt("o1/look", "eye", 400, 475)], "o1/look completed 2 times"),
        ([GOOD[0], attempt("o1/look", "eye", 100, 175)], "o1/look started before o1/cut ended"),
        ([GOOD[0], attempt("o1/look", "laser", 230, 305)], "ran on laser, which cannot do it"),
        (
            [attempt("o1/cut", "laser", 0, 210, parameters={**CUT, "thickness_mm": 4.0}), GOOD[1]],
            "other parameters",
        ),
    ],
)
def test_a_broken_history_is_caught(history, complaint):
    problems = check_history([ORDER], history, MODULES)
    assert any(complaint in p for p in problems), problems


def test_two_attempts_at_once_on_one_module_are_caught():
    second = copy.deepcopy(ORDER)
    second.order_id = "o2"
    twin = [copy.deepcopy(a) for a in GOOD]
    for a in twin:
        a.order_id = "o2"
        a.operation_id = a.operation_id.replace("o1", "o2")
        a.execution_id += "-2"
    problems = check_history([ORDER, second], GOOD + twin, MODULES)
    assert any("ran o1/cut and o2/cut at once" in p for p in problems), problems
