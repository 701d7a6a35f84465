"""Builds an order's data package from what the store recorded (see domain/order_package).

Everything comes from the database, not from memory: the package says what was
committed, the same before and after a restart.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.events import Event
from pnp.orchestrator.domain.order_package import (
    AttemptRecord,
    AuditRecord,
    LineEdgeRecord,
    LineGraphRecord,
    LineNodeRecord,
    ModuleIdentity,
    OperationRecord,
    OrderPackage,
    OrderRecordOut,
    summarize,
)
from pnp.orchestrator.domain.orders import OrderRecord
from pnp.orchestrator.planning import LineGraph
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredLease, StoredOperation
from pnp.orchestrator.store.telemetry import TelemetrySample


@dataclass(frozen=True)
class _Recorded:
    operations: list[StoredOperation]
    attempts: list[Attempt]
    leases: dict[tuple[str, int], StoredLease]
    current_descriptors: dict[tuple[str, int], str]
    samples: list[TelemetrySample]
    audit: list[Event]


# What callers do to an order, whose events carry the caller (``security.audit``).
AUDITED_ORDER_KINDS = ("order.submitted", "order.cancelled")


def read_recorded(store: Store, order_id: str) -> _Recorded:
    """Everything the store holds about one order (synchronous: run it off the loop)."""
    attempts = store.attempts.of_order(order_id)
    modules = {a.module_id for a in attempts}
    return _Recorded(
        operations=store.operations(order_id),
        attempts=attempts,
        leases={
            (lease.module_id, lease.epoch): lease
            for lease in store.leases()
            if lease.module_id in modules
        },
        current_descriptors={
            (m.module_id, m.epoch): m.descriptor_json
            for m in store.modules()
            if m.module_id in modules
        },
        samples=store.telemetry.of_executions([a.execution_id for a in attempts]),
        audit=store.events.latest_about(order_id, AUDITED_ORDER_KINDS)[::-1],
    )


def build_package(
    record: OrderRecord,
    recorded: _Recorded,
    line_graph: LineGraph,
    completed_at: datetime | None,
    exported_at: datetime,
    exported_at_factory_time: datetime | None = None,
) -> OrderPackage:
    spec = record.recipe.spec
    # Orders stored before operations had their own table: expand the recipe again
    # (deterministic, so the ids match the attempts').
    operations = recorded.operations or StoredOperation.of_order(record.order_id, record.recipe)
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for sample in recorded.samples:
        samples[sample.execution_id][sample.name].append(sample.value)
    attempts_of: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in sorted(recorded.attempts, key=lambda a: a.started_at):
        attempts_of[attempt.operation_id].append(attempt)

    return OrderPackage(
        exported_at=exported_at,
        exported_at_factory_time=exported_at_factory_time,
        order=OrderRecordOut(
            order_id=record.order_id,
            request_id=record.request_id,
            source=record.source,
            name=record.recipe.metadata.name,
            product=spec.product,
            quantity=spec.quantity,
            state=record.state.value,
            submitted_at=record.submitted_at,
            completed_at=completed_at,
            due=spec.due,
            recipe_yaml=record.recipe_yaml,
        ),
        line_graph=LineGraphRecord(
            nodes=[
                LineNodeRecord(
                    module_id=n.module_id, dock=n.dock, operation_ids=list(n.operation_ids)
                )
                for n in line_graph.nodes
            ],
            edges=[
                LineEdgeRecord(
                    from_module_id=e.from_module_id,
                    to_module_id=e.to_module_id,
                    transport_seconds=e.transport_seconds,
                    flows=list(e.flows),
                )
                for e in line_graph.edges
            ],
        ),
        operations=[
            OperationRecord(
                operation_id=op.operation_id,
                step_id=op.step_id,
                lot=op.lot,
                units=op.units,
                capability=op.capability,
                parameters=dict(op.parameters),
                after=list(op.after),
                status=_status(attempts_of[op.operation_id]),
                attempts=[
                    _attempt_record(a, recorded, samples[a.execution_id])
                    for a in attempts_of[op.operation_id]
                ],
            )
            for op in operations
        ],
        audit=[
            AuditRecord(
                sequence=e.sequence, time=e.time, kind=e.kind, actor=e.actor, message=e.message
            )
            for e in recorded.audit
        ],
    )


def _attempt_record(
    attempt: Attempt, recorded: _Recorded, channels: dict[str, list[float]]
) -> AttemptRecord:
    telemetry = {}
    for name, values in sorted(channels.items()):
        summary = summarize(values)
        if summary is not None:
            telemetry[name] = summary
    return AttemptRecord(
        execution_id=attempt.execution_id,
        state=attempt.state.value,
        module=_identity(attempt, recorded),
        capability=attempt.capability,
        parameters=dict(attempt.parameters),
        units=attempt.units,
        started_at=attempt.started_at,
        ended_at=attempt.ended_at,
        results=dict(attempt.results),
        error=attempt.error,
        telemetry=telemetry,
    )


def _identity(attempt: Attempt, recorded: _Recorded) -> ModuleIdentity:
    key = (attempt.module_id, attempt.epoch)
    lease = recorded.leases.get(key)
    # Databases from before leases were recorded know only each module's current
    # registration: use it when the epoch matches, and say "unknown" otherwise.
    descriptor_json = lease.descriptor_json if lease else recorded.current_descriptors.get(key)
    descriptor = json.loads(descriptor_json) if descriptor_json else {}
    return ModuleIdentity(
        module_id=attempt.module_id,
        epoch=attempt.epoch,
        vendor=descriptor.get("vendor", "unknown"),
        model=descriptor.get("model", "unknown"),
        serial=descriptor.get("serial", "unknown"),
        kind=descriptor.get("kind", ""),
        dock=descriptor.get("dock", ""),
    )


def _status(attempts: list[Attempt]) -> str:
    if any(a.state is AttemptState.COMPLETE for a in attempts):
        return "done"
    if any(a.state.is_active for a in attempts):
        return "running"
    return "pending"
