"""An independent check of an order data package (`pnp order export`).

It does not import the orchestrator: the package is validated with the `jsonschema`
library against the published schema file (docs/schemas/order-package.schema.json),
then compared with the order, attempts and modules as the wire contract reports
them (pnp.v1 Order, Attempt, Module): every operation present, every attempt of the
order present with the same module, epoch and times, times in order (each attempt
ends after it starts, and an operation's successful attempt starts after its
predecessors' ended), and each successful attempt on a module capable of its step.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

from jsonschema import Draft202012Validator

from pnp.v1 import order_pb2
from tests.e2e.plan_checker import covers

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "order-package.schema.json"


def check_package(package: dict, order, attempts, modules) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    problems = [
        f"schema: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in Draft202012Validator(schema).iter_errors(package)
    ]
    if problems:
        return problems

    if package["order"]["order_id"] != order.order_id:
        problems.append("the package is of another order")
    operations = {op["operation_id"]: op for op in package["operations"]}
    lots = math.ceil(order.quantity / (order.lot_size or order.quantity))
    expected = {
        (f"{order.order_id}/{s.id}" if lots == 1 else f"{order.order_id}/{s.id}#{lot}"): s
        for lot in range(1, lots + 1)
        for s in order.steps
    }
    for missing in sorted(set(expected) - set(operations)):
        problems.append(f"{missing} is missing from the package")
    for extra in sorted(set(operations) - set(expected)):
        problems.append(f"{extra} is in the package but not in the order")

    recorded = {a.execution_id: a for a in attempts if a.order_id == order.order_id}
    packaged = {
        a["execution_id"]: (op_id, a) for op_id, op in operations.items() for a in op["attempts"]
    }
    for execution_id in sorted(set(recorded) - set(packaged)):
        problems.append(f"attempt {execution_id} was recorded but is not in the package")
    for execution_id in sorted(set(packaged) - set(recorded)):
        problems.append(f"attempt {execution_id} is in the package but was never recorded")

    descriptors = {m.descriptor.module_id: m.descriptor for m in modules}
    finished: dict[str, tuple[datetime, datetime]] = {}
    for execution_id, (op_id, attempt) in packaged.items():
        wire = recorded.get(execution_id)
        started, ended = _time(attempt["started_at"]), _time(attempt["ended_at"])
        if ended is not None and ended < started:
            problems.append(f"{execution_id} ends before it starts")
        if wire is not None:
            if (attempt["module"]["module_id"], attempt["module"]["epoch"]) != (
                wire.module_id,
                wire.epoch,
            ):
                problems.append(f"{execution_id}: module or epoch differs from the record")
            if abs((started - wire.started_at.ToDatetime(UTC)).total_seconds()) > 1e-3:
                problems.append(f"{execution_id}: start time differs from the record")
        if attempt["state"] != "complete":
            continue
        finished[op_id] = (started, ended)
        step = expected.get(op_id)
        module = descriptors.get(attempt["module"]["module_id"])
        capability = (
            next((c for c in module.capabilities if c.name == step.capability), None)
            if module is not None and step is not None
            else None
        )
        if capability is None or not covers(capability, _as_wire_values(attempt["parameters"])):
            problems.append(f"{op_id} ran on {attempt['module']['module_id']}, which cannot do it")
        if module is not None and attempt["module"]["serial"] != module.serial:
            problems.append(f"{op_id}: serial {attempt['module']['serial']} is not the module's")

    for op_id, op in operations.items():
        if op["status"] == "done" and op_id not in finished:
            problems.append(f"{op_id} is done without a complete attempt")
        if op_id not in finished:
            continue
        for before in op["after"]:
            if before in finished and finished[before][1] > finished[op_id][0]:
                problems.append(f"{op_id} started before {before} ended")
    if order.state == order_pb2.ORDER_STATE_COMPLETED and any(
        op["status"] != "done" for op in operations.values()
    ):
        problems.append("the order is completed but not every operation is done")
    return problems


def _as_wire_values(parameters: dict) -> dict:
    """JSON keeps 3 as an integer; the contract's numbers are doubles."""
    return {
        name: float(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for name, value in parameters.items()
    }


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
