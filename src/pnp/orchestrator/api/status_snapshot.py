"""The floor at a glance, as typed values built once from the pnp.v1 answers: what
`pnp status` renders as tables or JSON and the web console (``orchestrator.web``) shows.

The orchestrator's clock (``factory_time`` on the list answers) is the reference for
every age and estimate here, so the figures stay right under ``--time-scale``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from pnp.v1 import attempt_pb2, module_pb2, order_pb2, plan_pb2

ACTIVE_ATTEMPT = (attempt_pb2.ATTEMPT_STATE_STARTING, attempt_pb2.ATTEMPT_STATE_RUNNING)
OPEN_ORDER = (
    order_pb2.ORDER_STATE_NOT_ALLOWED_TO_START,
    order_pb2.ORDER_STATE_ALLOWED_TO_START,
    order_pb2.ORDER_STATE_RUNNING,
    order_pb2.ORDER_STATE_INTERRUPTED,
)

ORDER_STATE_NAMES = {
    order_pb2.ORDER_STATE_NOT_ALLOWED_TO_START: "NotAllowedToStart",
    order_pb2.ORDER_STATE_ALLOWED_TO_START: "AllowedToStart",
    order_pb2.ORDER_STATE_RUNNING: "Running",
    order_pb2.ORDER_STATE_INTERRUPTED: "Interrupted",
    order_pb2.ORDER_STATE_COMPLETED: "Completed",
    order_pb2.ORDER_STATE_CLOSED: "Closed",
    order_pb2.ORDER_STATE_ABORTED: "Aborted",
}


@dataclass(frozen=True)
class ModuleStatus:
    module_id: str
    kind: str
    dock: str
    liveness: str  # alive, suspect, lost, gone
    state: str  # MachineryItemState: executing, not executing, out of service...
    draining: bool
    released: bool
    operation_id: str  # the operation it runs now; empty when idle
    progress: float | None  # 0..1, estimated from the planned duration
    lease_left_seconds: float  # real seconds until the lease expires without a heartbeat
    health: float | None = None  # 1 as new .. 0 failing (digital twin); None: not scored


@dataclass(frozen=True)
class OrderStatus:
    order_id: str
    name: str
    state: str
    operations_done: int
    operations_total: int
    eta: datetime | None  # planned end of the last operation, or when it completed
    due: datetime | None
    late: bool  # finishes (or finished) after its due time

    @property
    def slack_seconds(self) -> float | None:
        if self.eta is None or self.due is None:
            return None
        return (self.due - self.eta).total_seconds()


@dataclass(frozen=True)
class EventLine:
    sequence: int
    time: datetime
    kind: str
    subject: str
    message: str


@dataclass(frozen=True)
class FactoryStatus:
    factory_time: datetime
    plan_version: int
    plan_status: str
    modules: list[ModuleStatus]
    orders: list[OrderStatus]
    events: list[EventLine]

    def as_dict(self) -> dict:
        def plain(value):
            if isinstance(value, datetime):
                return value.strftime("%Y-%m-%dT%H:%M:%SZ")
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            if isinstance(value, float):
                return round(value, 3)
            return value

        document = plain(asdict(self))
        for order, typed in zip(document["orders"], self.orders, strict=True):
            order["slack_seconds"] = plain(typed.slack_seconds)
        return document


def _moment(stamp) -> datetime | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def _enum(enum_type, value: int, prefix: str) -> str:
    return enum_type.Name(value).removeprefix(prefix).replace("_", " ").lower()


def factory_status(
    modules_answer, orders, plan, attempts_answer, events, health=None
) -> FactoryStatus:
    """One snapshot from ListModules, ListOrders, GetPlan, ListAttempts and the event tail;
    ``health``: module id -> health score (ListModuleHealth), when known."""
    now = _moment(attempts_answer.factory_time) or datetime.now(UTC)
    planned = {(a.operation_id, a.module_id): a for a in plan.assignments}
    running = {a.module_id: a for a in attempts_answer.attempts if a.state in ACTIVE_ATTEMPT}
    module_rows = [
        replace(
            _module_status(m, running.get(m.descriptor.module_id), planned, now, modules_answer),
            health=(health or {}).get(m.descriptor.module_id),
        )
        for m in modules_answer.modules
    ]
    order_rows = [_order_status(o, plan, attempts_answer.attempts, now) for o in orders]
    return FactoryStatus(
        factory_time=now,
        plan_version=plan.version,
        plan_status=_enum(plan_pb2.PlanStatus, plan.status, "PLAN_STATUS_"),
        modules=module_rows,
        orders=order_rows,
        events=[
            EventLine(e.sequence, _moment(e.time) or now, e.kind, e.subject, e.message)
            for e in events
        ],
    )


def _module_status(module, attempt, planned, now: datetime, answer) -> ModuleStatus:
    d = module.descriptor
    seen_at = _moment(answer.factory_time) or now
    lease_until = _moment(module.lease_expires_at)
    # The lease is kept in real seconds; factory_time and lease_expires_at share a clock.
    lease_left = (lease_until - seen_at).total_seconds() if lease_until else 0.0
    progress = None
    if attempt is not None:
        started = _moment(attempt.started_at) or now
        expected = _expected_seconds(attempt, module, planned)
        elapsed = max((now - started).total_seconds(), 0.0)
        progress = min(elapsed / expected, 0.99) if expected > 0 else None
    return ModuleStatus(
        module_id=d.module_id,
        kind=d.kind or d.model,
        dock=d.dock,
        liveness=_enum(module_pb2.ModuleLiveness, module.liveness, "MODULE_LIVENESS_"),
        state=_enum(module_pb2.ItemState, module.item_state, "ITEM_STATE_"),
        draining=module.draining,
        released=module.released,
        operation_id=attempt.operation_id if attempt is not None else "",
        progress=progress,
        lease_left_seconds=max(lease_left, 0.0),
    )


def _expected_seconds(attempt, module, planned) -> float:
    """How long the attempt should take: the plan's slot if it still holds one, else
    the module's own time model for the capability."""
    slot = planned.get((attempt.operation_id, attempt.module_id))
    if slot is not None:
        return (slot.end.ToDatetime() - slot.start.ToDatetime()).total_seconds()
    for capability in module.descriptor.capabilities:
        if capability.name == attempt.capability:
            model = capability.time_model
            cycles = math.ceil(max(attempt.units, 1) / max(model.batch_capacity, 1))
            return model.setup_seconds + cycles * model.seconds_per_unit
    return 0.0


def _order_status(order, plan, attempts, now: datetime) -> OrderStatus:
    due = _moment(order.due)
    completed = _moment(order.completed_at)
    if completed is not None:
        eta = completed
    elif order.state in OPEN_ORDER:
        ends = [_moment(a.end) for a in plan.assignments if a.order_id == order.order_id]
        eta = max(ends) if ends else None
        if eta is None and any(
            a.order_id == order.order_id and a.state in ACTIVE_ATTEMPT for a in attempts
        ):
            eta = now  # only its running work is left: due about now
    else:
        eta = None  # aborted or closed: no finish to expect
    return OrderStatus(
        order_id=order.order_id,
        name=order.name,
        state=ORDER_STATE_NAMES.get(order.state, "?"),
        operations_done=order.operations_done,
        operations_total=order.operations_total,
        eta=eta,
        due=due,
        late=bool(eta and due and eta > due),
    )
