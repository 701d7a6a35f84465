"""Planning takes the factory's history as facts, even when the facts are untidy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pnp.orchestrator.domain.attempts import Attempt, AttemptState, progress_of
from pnp.orchestrator.domain.orders import OrderRecord, OrderState
from pnp.orchestrator.domain.recipe_loader import load_recipe
from pnp.orchestrator.planning import PlanningInput, plan_factory
from tests.domain.test_matching import laser

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CUT = """\
apiVersion: pnp/v1
kind: Order
metadata: {{name: plate-{n}}}
spec:
  product: plate
  quantity: 1
  steps:
    - {{id: cut, capability: cutting.laser, parameters: {{material: steel-s235}}}}
    - {{id: cut-again, capability: cutting.laser, after: [cut],
       parameters: {{material: steel-s235}}}}
"""


def order(n: int) -> OrderRecord:
    text = CUT.format(n=n)
    return OrderRecord(
        order_id=f"ord-{n}",
        request_id=f"r{n}",
        source="plate.yaml",
        recipe_yaml=text,
        recipe=load_recipe(text, "plate.yaml"),
        state=OrderState.RUNNING,
        submitted_at=NOW - timedelta(hours=1),
    )


def done(n: int, step: str, started_min: float, ended_min: float) -> Attempt:
    return Attempt(
        execution_id=f"x-{n}-{step}",
        operation_id=f"ord-{n}/{step}",
        order_id=f"ord-{n}",
        module_id="laser-1",
        epoch=1,
        capability="cutting.laser",
        parameters={"material": "steel-s235"},
        units=1,
        state=AttemptState.COMPLETE,
        started_at=NOW + timedelta(minutes=started_min),
        ended_at=NOW + timedelta(minutes=ended_min),
    )


def test_work_that_ran_shorter_than_its_time_model_does_not_make_planning_fail():
    module = laser("laser-1", 10)
    model_minutes = module.capability("cutting.laser").time_model.duration_seconds(1) / 60
    # Two cuts back to back, each really taking a third of the model's time: placed by
    # their ends with the model's duration, they would overlap on the laser.
    short = model_minutes / 3
    attempts = [
        done(1, "cut", -3 * short - 1, -2 * short - 1),
        done(2, "cut", -2 * short - 0.5, -short - 0.5),
    ]
    plan = plan_factory(
        PlanningInput(
            orders=(order(1), order(2)),
            modules=(module,),
            layout=None,
            origin=NOW,
            version=7,
            time_limit=2.0,
            progress=progress_of(attempts),
        )
    )
    assert plan.version == 7
    assert {a.operation_id for a in plan.assignments} >= {"ord-1/cut-again", "ord-2/cut-again"}
    starts = sorted(a.start for a in plan.assignments if a.operation_id.endswith("cut-again"))
    assert starts[0] >= NOW
