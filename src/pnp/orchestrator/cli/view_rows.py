"""pnp.v1 messages -> the plain rows of ``orchestrator.views`` (the edge where they meet).

Times become seconds after the picture's origin: the plan's origin for a plan, the
first attempt's start for history, both in factory time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pnp.orchestrator.errors import NotFound
from pnp.orchestrator.views import (
    BarStatus,
    DockSpot,
    GanttBar,
    GanttChart,
    LineFlow,
    LinePicture,
    LineStation,
)
from pnp.v1 import attempt_pb2, module_pb2, plan_pb2

_ATTEMPT_STATUS = {
    attempt_pb2.ATTEMPT_STATE_STARTING: BarStatus.RUNNING,
    attempt_pb2.ATTEMPT_STATE_RUNNING: BarStatus.RUNNING,
    attempt_pb2.ATTEMPT_STATE_COMPLETE: BarStatus.COMPLETE,
    attempt_pb2.ATTEMPT_STATE_FAILED: BarStatus.FAILED,
}


def moment(stamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def live_module_ids(modules) -> list[str]:
    """Modules still on the floor: each gets a lane, idle or not."""
    return [
        m.descriptor.module_id for m in modules if m.liveness != module_pb2.MODULE_LIVENESS_GONE
    ]


def plan_chart(
    plan: plan_pb2.Plan,
    lanes: list[str] = (),
    label: str = "plan",
    allow_empty: bool = False,
    until: float | None = None,
) -> GanttChart:
    """The plan as a chart; ``NotFound`` when there is nothing to draw, not even orders
    waiting (unless allowed). Orders that wait with none plannable draw an empty chart
    that says so: that is the plan, and the planner should see it."""
    if not plan.assignments and not allow_empty and not plan.unplanned_order_ids:
        raise NotFound(
            f"{label} v{plan.version} has no operations to draw yet: submit orders "
            "(`pnp order submit`) and plug in modules that can make them"
        )
    origin = moment(plan.origin)
    bars = [
        GanttBar(
            lane=a.module_id,
            start=(moment(a.start) - origin).total_seconds(),
            end=(moment(a.end) - origin).total_seconds(),
            order_id=a.order_id,
            operation_id=a.operation_id,
            label=a.operation_id.split("/", 1)[-1],  # the step, and its lot when split
        )
        for a in plan.assignments
    ]
    status = plan_pb2.PlanStatus.Name(plan.status).removeprefix("PLAN_STATUS_").lower()
    notes = [
        f"{len(bars)} operations, makespan {plan.makespan_seconds:.0f} s, "
        f"weighted tardiness {plan.weighted_tardiness_seconds:.0f} s"
    ]
    if plan.unplanned_order_ids:
        notes.append(f"not planned (no capable module): {', '.join(plan.unplanned_order_ids)}")
    if not bars and plan.unplanned_order_ids:
        notes.append(
            f"nothing can be made yet: {len(plan.unplanned_order_ids)} order(s) wait for a "
            "capable module (`pnp plan` says what each step lacks)"
        )
    return GanttChart(
        # What-if plans are made on the side and have no version of their own.
        title=f"{label} v{plan.version} ({status})" if plan.version else f"{label} ({status})",
        origin=origin,
        bars=bars,
        lanes=sorted(lanes),
        notes=notes,
        until=until,
    )


def plan_end_seconds(plan: plan_pb2.Plan) -> float:
    """Seconds from the plan's origin to its last operation's end (0 when empty)."""
    origin = moment(plan.origin)
    return max(((moment(a.end) - origin).total_seconds() for a in plan.assignments), default=0.0)


def history_chart(attempts, factory_time, order_id: str = "", lanes: list[str] = ()) -> GanttChart:
    """What actually ran: one bar per attempt; running ones end at ``factory_time``."""
    if not attempts:
        whose = f"order {order_id}" if order_id else "the factory"
        raise NotFound(f"nothing has run yet for {whose}: no attempts to draw")
    now = moment(factory_time)
    origin = min(moment(a.started_at) for a in attempts)
    bars = []
    for a in attempts:
        status = _ATTEMPT_STATUS.get(a.state, BarStatus.FAILED)
        end = moment(a.ended_at) if a.HasField("ended_at") else now
        step = a.operation_id.split("/", 1)[-1]
        bars.append(
            GanttBar(
                lane=a.module_id,
                start=(moment(a.started_at) - origin).total_seconds(),
                end=(end - origin).total_seconds(),
                order_id=a.order_id,
                operation_id=a.operation_id,
                label=step,
                status=status,
                identifier=a.execution_id,
            )
        )
    failed = sum(1 for b in bars if b.status is BarStatus.FAILED)
    running = sum(1 for b in bars if b.status is BarStatus.RUNNING)
    return GanttChart(
        title=f"history of {f'order {order_id}' if order_id else 'the factory'}",
        origin=origin,
        bars=bars,
        lanes=sorted(lanes),
        now=(now - origin).total_seconds() if running else None,
        notes=[f"{len(bars)} attempts: {failed} failed or interrupted, {running} running"],
    )


def line_picture(
    order_id: str,
    line_graph: plan_pb2.LineGraph,
    layout,
    when: str = "in the current plan",
    notes: tuple[str, ...] = (),
) -> LinePicture:
    """The order's line over the layout (None: an open floor); ``NotFound`` when unplanned.

    A line graph is always a plan's: ``when`` says which (the title reads "order X:
    production line <when>"), so nobody takes it for what ran."""
    if not line_graph.nodes:
        raise NotFound(
            f"order {order_id} has no production line in the plan yet (not planned, or no "
            "capable module): `pnp order show` says why"
        )
    docks = [DockSpot(d.dock_id, d.x_m, d.y_m) for d in layout.docks] if layout is not None else []
    floor = f"floor: {layout.name}" if layout is not None else "open floor: docks set out in a row"
    return LinePicture(
        title=f"order {order_id}: production line {when}",
        docks=docks,
        stations=[
            LineStation(n.module_id, n.dock, tuple(n.operation_ids)) for n in line_graph.nodes
        ],
        flows=[
            LineFlow(e.from_module_id, e.to_module_id, e.transport_seconds, tuple(e.flows))
            for e in line_graph.edges
        ],
        notes=[floor, *notes],
    )
