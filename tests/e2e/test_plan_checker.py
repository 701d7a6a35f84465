"""The independent plan checker catches what it is there to catch."""

from __future__ import annotations

import copy

import pytest

from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto
from pnp.v1 import module_pb2, order_pb2, plan_pb2
from tests.e2e.plan_checker import check_plan


def module(kind: str, module_id: str, dock: str) -> module_pb2.Module:
    descriptor = to_proto(
        load_catalog().module_type(kind), module_id=module_id, dock=dock, serial="s"
    )
    return module_pb2.Module(descriptor=descriptor)


def assignment(op, step, module_id, start, end, lot=1):
    a = plan_pb2.Assignment(
        operation_id=op, order_id="o1", step_id=step, lot=lot, module_id=module_id
    )
    a.start.FromSeconds(start)
    a.end.FromSeconds(end)
    return a


ORDER = order_pb2.Order(
    order_id="o1",
    quantity=1,
    lot_size=1,
    steps=[
        order_pb2.Step(
            id="cut",
            capability="cutting.laser",
            parameters={
                "material": order_pb2.ParameterValue(text="steel-s235"),
                "thickness_mm": order_pb2.ParameterValue(number=3),
            },
        ),
        order_pb2.Step(id="look", capability="inspection.vision", after=["cut"]),
    ],
)
MODULES = [module("laser-cutter", "laser", "A1"), module("vision-inspection", "eye", "A2")]
TRANSPORT = {("A1", "A2"): 20, ("A2", "A1"): 20, ("A1", "A1"): 0, ("A2", "A2"): 0}
# laser-cutter: 120 + 90 = 210 s; vision-inspection: 30 + 45 = 75 s
GOOD = plan_pb2.Plan(
    assignments=[
        assignment("o1/cut", "cut", "laser", 0, 210),
        assignment("o1/look", "look", "eye", 230, 305),
    ]
)


def broken(change) -> plan_pb2.Plan:
    plan = copy.deepcopy(GOOD)
    change(plan)
    return plan


def test_a_valid_plan_passes():
    assert check_plan(GOOD, [ORDER], MODULES, TRANSPORT) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            lambda p: p.assignments[1].start.FromSeconds(220),
            "starts before o1/cut ends (+20 s transport)",
        ),
        (lambda p: p.assignments[1].__setattr__("module_id", "laser"), "which cannot do it"),
        (lambda p: p.assignments.pop(), "step look lot 1 is not planned"),
        (lambda p: p.assignments[0].end.FromSeconds(200), "lasts the wrong time"),
    ],
)
def test_a_broken_plan_is_caught(change, complaint):
    problems = check_plan(broken(change), [ORDER], MODULES, TRANSPORT)
    assert any(complaint in p for p in problems), problems


def test_two_operations_at_once_on_one_module_are_caught():
    second = copy.deepcopy(ORDER)
    second.order_id = "o2"
    plan = copy.deepcopy(GOOD)
    for a in GOOD.assignments:
        twin = copy.deepcopy(a)
        twin.order_id = "o2"
        twin.operation_id = a.operation_id.replace("o1", "o2")
        plan.assignments.append(twin)
    problems = check_plan(plan, [ORDER, second], MODULES, TRANSPORT)
    assert any("runs o1/cut and o2/cut at once" in p for p in problems), problems
