"""What a plan promises: orders planned and on time, tardiness, makespan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pnp.orchestrator.domain.orders import OrderRecord
from pnp.orchestrator.planning.plan import Plan


@dataclass(frozen=True)
class PlanKpis:
    orders_planned: int
    orders_on_time: int
    orders_unplanned: int
    weighted_tardiness_seconds: float
    makespan_seconds: float


def plan_kpis(plan: Plan, orders: tuple[OrderRecord, ...]) -> PlanKpis:
    finish: dict[str, datetime] = {}
    for a in plan.assignments:
        finish[a.order_id] = max(finish.get(a.order_id, a.end), a.end)
    due = {o.order_id: o.recipe.spec.due for o in orders}
    on_time = sum(
        1 for order_id, end in finish.items() if (by := due.get(order_id)) is None or end <= by
    )
    return PlanKpis(
        orders_planned=len(finish),
        orders_on_time=on_time,
        orders_unplanned=len(plan.unplanned_order_ids),
        weighted_tardiness_seconds=plan.weighted_tardiness_seconds,
        makespan_seconds=plan.makespan_seconds,
    )
