"""An order's data package ("My Manufacturing Data"): what was made, where, how, when.

The package is the factory's own record of one order, exported as JSON by
``pnp order export``: the order and its recipe, its line graph, and for every
operation each attempt with the module's identity at that time (vendor, model,
serial, epoch), times, parameters, results and a summary of the telemetry measured
while it ran. These models are the package's contract: its JSON Schema
(docs/schemas/order-package.schema.json) is generated from them, and a test keeps
the published file in step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

PACKAGE_FORMAT: Final = "pnp.order-package/v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelemetrySummary(_Strict):
    """One telemetry channel over one attempt."""

    samples: int = Field(ge=1)
    minimum: float
    maximum: float
    mean: float
    first: float
    last: float


class ModuleIdentity(_Strict):
    """The module an attempt ran on, as it described itself in that registration."""

    module_id: str
    epoch: int = Field(ge=1, description="the registration (boot) the attempt belongs to")
    vendor: str
    model: str
    serial: str
    kind: str
    dock: str


class AttemptRecord(_Strict):
    execution_id: str
    state: Literal["starting", "running", "complete", "failed", "superseded"]
    module: ModuleIdentity
    capability: str
    parameters: dict[str, Any]
    units: int = Field(ge=1)
    started_at: datetime
    ended_at: datetime | None = None
    results: dict[str, Any] = Field(default_factory=dict)
    error: str = ""
    telemetry: dict[str, TelemetrySummary] = Field(default_factory=dict)


class OperationRecord(_Strict):
    operation_id: str
    step_id: str
    lot: int = Field(ge=1)
    units: int = Field(ge=1)
    capability: str
    parameters: dict[str, Any]
    after: list[str] = Field(description="operation ids that had to finish first")
    status: Literal["pending", "running", "done"]
    attempts: list[AttemptRecord] = Field(description="every attempt, in start order")


class LineNodeRecord(_Strict):
    module_id: str
    dock: str
    operation_ids: list[str]


class LineEdgeRecord(_Strict):
    from_module_id: str
    to_module_id: str
    transport_seconds: float = Field(ge=0)
    flows: list[str]


class LineGraphRecord(_Strict):
    nodes: list[LineNodeRecord]
    edges: list[LineEdgeRecord]


class OrderRecordOut(_Strict):
    order_id: str
    request_id: str
    source: str
    name: str
    product: str
    quantity: int = Field(ge=1)
    state: str
    submitted_at: datetime
    completed_at: datetime | None = None
    due: datetime | None = None
    recipe_yaml: str = Field(description="the recipe file exactly as submitted")


class AuditRecord(_Strict):
    """Who asked for something done to the order: the event the call left in the log."""

    sequence: int = Field(ge=1, description="the event's number in the event log")
    time: datetime = Field(description="when, on the factory's clock")
    kind: str = Field(description="what: order.submitted or order.cancelled")
    actor: str = Field(
        description="who: the caller's certificate identity and role (planner anna "
        "(planner)); anonymous for a call without TLS; local for one on this machine"
    )
    message: str


class OrderPackage(_Strict):
    """The data package of one order."""

    format: Literal["pnp.order-package/v1"] = PACKAGE_FORMAT
    exported_at: datetime = Field(description="when the package was made, wall-clock time (UTC)")
    exported_at_factory_time: datetime | None = Field(
        default=None,
        description="the same moment on the factory's clock, which a simulation runs "
        "faster than the world; the operations' times are on that clock",
    )
    order: OrderRecordOut
    line_graph: LineGraphRecord = Field(
        description="the order's line in the latest plan that held it (the plan, which a "
        "hot swap may have changed since): what ran is in operations[].attempts"
    )
    operations: list[OperationRecord] = Field(
        description="what ran: every operation with every attempt, its module and times"
    )
    audit: list[AuditRecord] = Field(
        default_factory=list,
        description="the audit trail: who submitted and who cancelled the order, oldest "
        "first (empty for orders from before pnp recorded callers)",
    )


def summarize(values: Iterable[float]) -> TelemetrySummary | None:
    """Count, range, mean, first and last of a channel's finite values; None if none."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    return TelemetrySummary(
        samples=len(finite),
        minimum=min(finite),
        maximum=max(finite),
        mean=sum(finite) / len(finite),
        first=finite[0],
        last=finite[-1],
    )


def package_schema() -> dict[str, Any]:
    """The package's JSON Schema (draft 2020-12), as published."""
    schema = OrderPackage.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:pnp:schema:order-package:v1",
        **schema,
    }
