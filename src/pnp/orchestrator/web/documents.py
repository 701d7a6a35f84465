"""The console's JSON documents, read from the factory through the gRPC API's own views.

Each document is built from the same pnp.v1 messages the Orchestrator service answers
with (``api.convert``), so the page shows exactly what `pnp status`, `pnp plan` and
`pnp history` show; the status rows come from the same snapshot as `pnp status`
(``api.status_snapshot``). Messages become JSON with their proto field names.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from google.protobuf.json_format import MessageToDict

from pnp.orchestrator.api import convert
from pnp.orchestrator.api.layout_convert import layout_to_proto
from pnp.orchestrator.api.status_snapshot import FactoryStatus, OrderStatus, factory_status
from pnp.orchestrator.domain.attempts import Attempt
from pnp.orchestrator.service.attempt_pages import UNPAGED
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.order_pages import UNPAGED_ORDERS
from pnp.orchestrator.service.twin import TwinService
from pnp.v1 import orchestrator_pb2

# An order whose ETA is within this much of its due time is at risk (factory seconds).
TIGHT_SLACK_SECONDS = 3600.0
RECENT_TELEMETRY = 50  # samples per channel shown on a module's page


def plain(message) -> dict:
    return MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


async def current_plan(factory: Factory):
    return convert.plan_to_proto(await factory.plan(wait_for_current=False))


async def snapshot(factory: Factory) -> FactoryStatus:
    """The same snapshot `pnp status` builds from ListModules, ListOrders, GetPlan and
    ListAttempts, built here from the answers those calls would give."""
    now = convert.timestamp(factory.clock.now())
    modules = orchestrator_pb2.ListModulesResponse(
        modules=[convert.module_to_proto(v) for v in factory.modules()], factory_time=now
    )
    attempts = orchestrator_pb2.ListAttemptsResponse(
        attempts=[convert.attempt_to_proto(a) for a in await _recent_attempts(factory)],
        factory_time=now,
    )
    # What an unpaged ListOrders answers (open orders and the 100 most recent closed),
    # as `pnp status` asks for it: a refresh costs the same however long the factory ran.
    recent = await factory.order_views(lambda: UNPAGED_ORDERS.select(factory.store)[0])
    orders = [convert.order_to_proto(v) for v in recent]
    plan = await current_plan(factory)
    health = {
        h.module_id: h.score for h, _ in await TwinService(factory).health() if h.score is not None
    }
    return factory_status(modules, orders, plan, attempts, [], health)


def due_risk(order: OrderStatus) -> str:
    """late, tight, on time, unplanned (open with no ETA), no due date, or done."""
    if order.state in ("Completed", "Closed", "Aborted"):
        return "late" if order.late else "done"
    if order.due is None:
        return "no due date"
    if order.eta is None:
        return "unplanned"
    if order.late:
        return "late"
    slack = order.slack_seconds
    return "tight" if slack is not None and slack < TIGHT_SLACK_SECONDS else "on time"


def floor_state(liveness: str, draining: bool, released: bool) -> str:
    """What the floor shows for a module: released and draining say more than alive."""
    if released:
        return "released"
    if draining and liveness == "alive":
        return "draining"
    return liveness


async def status_document(factory: Factory) -> dict:
    """The floor, the modules and the orders: the Floor and Orders pages."""
    status = await snapshot(factory)
    document = status.as_dict()
    for row, module in zip(document["modules"], status.modules, strict=True):
        row["floor_state"] = floor_state(module.liveness, module.draining, module.released)
    for row, order in zip(document["orders"], status.orders, strict=True):
        row["risk"] = due_risk(order)
    layout = factory.layout
    document["layout"] = None if layout is None else plain(layout_to_proto(layout))
    document["time_scale"] = factory.settings.time_scale
    document["last_event"] = factory.events.last_sequence
    return document


async def gantt_document(factory: Factory) -> dict:
    """The plan and what ran: one lane per module still on the floor."""
    plan = plain(await current_plan(factory))
    attempts = [plain(convert.attempt_to_proto(a)) for a in await _recent_attempts(factory)]
    lanes = sorted(v.entry.module_id for v in factory.modules() if v.entry.liveness.value != "gone")
    for module_id in {a["module_id"] for a in attempts} | {
        a["module_id"] for a in plan.get("assignments", [])
    }:
        if module_id not in lanes:
            lanes.append(module_id)  # gone since, but its work is still drawn
    return {
        "factory_time": stamp(factory.clock.now()),
        "time_scale": factory.settings.time_scale,
        "plan": plan,
        "attempts": attempts,
        "lanes": lanes,
    }


async def order_document(factory: Factory, order_id: str) -> dict:
    view = await factory.order_view(order_id)  # NotFound names the order
    return {
        "factory_time": stamp(factory.clock.now()),
        "order": plain(convert.order_to_proto(view)),
        "line_graph": plain(convert.line_graph_to_proto(view.line_graph)),
        "attempts": [
            plain(convert.attempt_to_proto(a)) for a in await factory.attempts_of(order_id)
        ],
        "planned": [
            plain(a) for a in (await current_plan(factory)).assignments if a.order_id == order_id
        ],
    }


async def module_document(factory: Factory, module_id: str) -> dict:
    view = factory.module(module_id)  # NotFound names the module
    attempts = await _recent_attempts(factory, module_id)
    status = next(m for m in (await snapshot(factory)).modules if m.module_id == module_id)
    return {
        "factory_time": stamp(factory.clock.now()),
        "module": plain(convert.module_to_proto(view)),
        "floor_state": floor_state(status.liveness, status.draining, status.released),
        "operation_id": status.operation_id,
        "progress": status.progress,
        "lease_left_seconds": round(status.lease_left_seconds, 3),
        "attempts": [plain(convert.attempt_to_proto(a)) for a in attempts],
        "telemetry": await _telemetry(factory, [a.execution_id for a in attempts[-3:]]),
    }


async def _recent_attempts(factory: Factory, module_id: str = "") -> list[Attempt]:
    """What an unpaged ListAttempts answers (those in flight or of open orders, and the
    most recent), oldest first: a console page costs the same however long the factory
    has run."""
    attempts, _ = await factory.attempts_page(UNPAGED, module_id=module_id)
    return attempts


async def _telemetry(factory: Factory, execution_ids: list[str]) -> dict[str, list]:
    """The latest samples per channel over the module's last few attempts."""
    samples = await asyncio.to_thread(factory.store.telemetry.of_executions, execution_ids)
    channels: dict[str, list] = {}
    for sample in samples:
        channels.setdefault(sample.name, []).append([stamp(sample.time), sample.value])
    return {name: values[-RECENT_TELEMETRY:] for name, values in sorted(channels.items())}


def event_document(event) -> dict:
    return plain(convert.event_to_proto(event))
