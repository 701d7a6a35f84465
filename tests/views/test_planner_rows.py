"""What the planner reads in `pnp plan` and `pnp order show`, from pnp.v1 messages:
plan rows in time order, each step's standing, an empty Gantt that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from pnp.orchestrator.cli.output import console, plan_table
from pnp.orchestrator.cli.step_states import step_states
from pnp.orchestrator.cli.view_rows import plan_chart
from pnp.orchestrator.views import write_gantt
from pnp.v1 import attempt_pb2, order_pb2, plan_pb2

ORIGIN = datetime(2026, 12, 1, 8, tzinfo=UTC)


def stamp(minutes: float) -> Timestamp:
    moment = Timestamp()
    moment.FromDatetime(ORIGIN + timedelta(minutes=minutes))
    return moment


def assignment(operation_id: str, module_id: str, start: float, end: float):
    return plan_pb2.Assignment(
        operation_id=operation_id,
        order_id=operation_id.split("/")[0],
        module_id=module_id,
        start=stamp(start),
        end=stamp(end),
        units=1,
    )


def test_plan_rows_are_in_time_order_not_module_order():
    plan = plan_pb2.Plan(
        version=3,
        origin=stamp(0),
        assignments=[
            assignment("ord-1/paint", "aaa-paint", 60, 90),
            assignment("ord-1/cut", "zzz-laser", 0, 30),
            assignment("ord-1/weld", "mmm-weld", 30, 60),
        ],
    )
    with console.capture() as captured:
        console.print(plan_table(plan))
    text = captured.get()
    assert text.index("ord-1/cut") < text.index("ord-1/weld") < text.index("ord-1/paint")


def order(*steps: str, lots: int = 1, unmatched: tuple[str, ...] = ()):
    return order_pb2.Order(
        order_id="ord-1",
        quantity=lots,
        lot_size=1,
        steps=[order_pb2.Step(id=s, capability="x") for s in steps],
        operations_total=lots * len(steps),
        unmatched=[order_pb2.Unmatched(step_id=s) for s in unmatched],
    )


def attempt(operation_id: str, module_id: str, state: int):
    return attempt_pb2.Attempt(
        operation_id=operation_id, order_id="ord-1", module_id=module_id, state=state
    )


def test_each_step_says_where_it_stands():
    attempts = [
        attempt("ord-1/cut", "laser-a1", attempt_pb2.ATTEMPT_STATE_FAILED),
        attempt("ord-1/cut", "laser-c2", attempt_pb2.ATTEMPT_STATE_COMPLETE),
        attempt("ord-1/weld", "weld-a2", attempt_pb2.ATTEMPT_STATE_RUNNING),
    ]
    plan = plan_pb2.Plan(assignments=[assignment("ord-1/paint", "paint-a3", 60, 90)])
    states = step_states(order("cut", "weld", "paint", "inspect"), attempts, plan)
    assert [(s.step_id, s.state, s.modules) for s in states] == [
        ("cut", "done", ("laser-c2",)),
        ("weld", "running", ("weld-a2",)),
        ("paint", "planned", ("paint-a3",)),
        ("inspect", "waiting", ()),
    ]
    assert states[0].text() == "done (on laser-c2, 1 failed attempt(s))"


def test_a_step_split_in_lots_counts_its_operations_and_an_uncovered_one_says_so():
    attempts = [attempt("ord-1/cut#1", "laser-a1", attempt_pb2.ATTEMPT_STATE_COMPLETE)]
    plan = plan_pb2.Plan(assignments=[assignment("ord-1/cut#2", "laser-a1", 0, 10)])
    cut, coat = step_states(order("cut", "coat", lots=2, unmatched=("coat",)), attempts, plan)
    assert (cut.state, cut.done, cut.operations) == ("planned", 1, 2)
    assert coat.state == "cannot be planned"


def test_a_gantt_of_orders_waiting_with_none_plannable_is_empty_and_says_why(tmp_path):
    plan = plan_pb2.Plan(
        version=4,
        origin=stamp(0),
        status=plan_pb2.PLAN_STATUS_EMPTY,
        unplanned_order_ids=["ord-1"],
    )
    chart = plan_chart(plan, ["laser-a1"])
    assert chart.bars == []
    assert any("nothing can be made yet: 1 order(s) wait" in note for note in chart.notes)
    page = tmp_path / "plan.svg"
    write_gantt(chart, str(page), "--gantt")
    assert "nothing can be made yet" in page.read_text()


def test_the_demo_labels_its_line_pictures_as_the_plan_and_its_packages_as_what_ran():
    from pathlib import Path

    from pnp.orchestrator.cli.demo import _what_it_shows
    from pnp.orchestrator.cli.view_rows import line_picture

    graph = plan_pb2.LineGraph(nodes=[plan_pb2.LineNode(module_id="laser-a1", dock="A1")])
    picture = line_picture(
        "ord-1", graph, None, when="as planned before the run (plan v3)", notes=("the plan",)
    )
    assert picture.title == "order ord-1: production line as planned before the run (plan v3)"
    assert "the plan" in picture.notes
    assert _what_it_shows(Path("out/line-ord-1.svg")) == "the plan, before the run"
    assert _what_it_shows(Path("out/plan-gantt.html")) == "the plan, before the run"
    assert _what_it_shows(Path("out/orders/ord-1.json")) == "what ran"
    assert _what_it_shows(Path("out/history-gantt.png")) == "what ran"
