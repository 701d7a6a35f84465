"""Conversions between pnp.v1 messages and the orchestrator's domain values.

The only place that knows both sides; servicers call these and nothing else does.
"""

from __future__ import annotations

import json
from datetime import datetime

from google.protobuf import timestamp_pb2

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.events import Event
from pnp.orchestrator.domain.matching import Unmatched
from pnp.orchestrator.domain.modules import (
    CapabilityOffer,
    ModuleDescription,
    ParameterEnvelope,
    TimeModel,
    UtilityNeeds,
)
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.planning import LineGraph, Plan, PlanStatus
from pnp.orchestrator.planning.kpis import PlanKpis
from pnp.orchestrator.registry import Liveness
from pnp.orchestrator.service.factory import ModuleView, OrderView
from pnp.v1 import attempt_pb2, event_pb2, module_pb2, orchestrator_pb2, order_pb2, plan_pb2
from pnp.v1.opcua import ItemState

# Checked before walking the message, so a hostile descriptor costs nothing to refuse.
MAX_CAPABILITIES = 64

_FOOTPRINTS = {
    module_pb2.FOOTPRINT_UNSPECIFIED: "unspecified",
    module_pb2.FOOTPRINT_ISO_10FT: "ISO 10ft",
    module_pb2.FOOTPRINT_ISO_20FT: "ISO 20ft",
    module_pb2.FOOTPRINT_ISO_40FT: "ISO 40ft",
}
_FOOTPRINT_CODES = {text: code for code, text in _FOOTPRINTS.items()}
_LIVENESS = {
    Liveness.ALIVE: module_pb2.MODULE_LIVENESS_ALIVE,
    Liveness.SUSPECT: module_pb2.MODULE_LIVENESS_SUSPECT,
    Liveness.LOST: module_pb2.MODULE_LIVENESS_LOST,
    Liveness.GONE: module_pb2.MODULE_LIVENESS_GONE,
}
ITEM_STATES = {
    module_pb2.ITEM_STATE_NOT_AVAILABLE: ItemState.NOT_AVAILABLE,
    module_pb2.ITEM_STATE_OUT_OF_SERVICE: ItemState.OUT_OF_SERVICE,
    module_pb2.ITEM_STATE_NOT_EXECUTING: ItemState.NOT_EXECUTING,
    module_pb2.ITEM_STATE_EXECUTING: ItemState.EXECUTING,
}
_ITEM_STATE_CODES = {text: code for code, text in ITEM_STATES.items()}
_ORDER_STATES = {
    OrderState.NOT_ALLOWED_TO_START: order_pb2.ORDER_STATE_NOT_ALLOWED_TO_START,
    OrderState.ALLOWED_TO_START: order_pb2.ORDER_STATE_ALLOWED_TO_START,
    OrderState.RUNNING: order_pb2.ORDER_STATE_RUNNING,
    OrderState.INTERRUPTED: order_pb2.ORDER_STATE_INTERRUPTED,
    OrderState.COMPLETED: order_pb2.ORDER_STATE_COMPLETED,
    OrderState.CLOSED: order_pb2.ORDER_STATE_CLOSED,
    OrderState.ABORTED: order_pb2.ORDER_STATE_ABORTED,
}
_PLAN_STATUS = {
    PlanStatus.OPTIMAL: plan_pb2.PLAN_STATUS_OPTIMAL,
    PlanStatus.FEASIBLE: plan_pb2.PLAN_STATUS_FEASIBLE,
    PlanStatus.INFEASIBLE: plan_pb2.PLAN_STATUS_INFEASIBLE,
    PlanStatus.EMPTY: plan_pb2.PLAN_STATUS_EMPTY,
    PlanStatus.UNKNOWN: plan_pb2.PLAN_STATUS_UNKNOWN,
}


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


# -- modules ------------------------------------------------------------------------------


def description_from_proto(descriptor: module_pb2.ModuleDescriptor) -> ModuleDescription:
    if len(descriptor.capabilities) > MAX_CAPABILITIES:
        raise BadInput(
            "too many capabilities",
            [
                Violation(
                    "descriptor.capabilities",
                    f"{len(descriptor.capabilities)} capabilities; at most {MAX_CAPABILITIES}",
                )
            ],
        )
    return ModuleDescription(
        module_id=descriptor.module_id,
        vendor=descriptor.vendor,
        model=descriptor.model,
        serial=descriptor.serial,
        footprint=_FOOTPRINTS.get(descriptor.footprint, "unspecified"),
        dock=descriptor.dock,
        opcua_endpoint=descriptor.opcua_endpoint,
        kind=descriptor.kind,
        capabilities=tuple(_capability(c) for c in descriptor.capabilities),
        utilities=UtilityNeeds(
            power_kw=descriptor.utilities.power_kw,
            air_nl_per_min=descriptor.utilities.air_nl_per_min,
            water_l_per_min=descriptor.utilities.water_l_per_min,
        ),
    )


def _capability(capability: module_pb2.Capability) -> CapabilityOffer:
    time_model = capability.time_model
    return CapabilityOffer(
        name=capability.name,
        parameters=tuple(_parameter(p) for p in capability.parameters),
        time_model=TimeModel(
            setup_seconds=time_model.setup_seconds,
            seconds_per_unit=time_model.seconds_per_unit,
            batch_capacity=time_model.batch_capacity or 1,
            changeovers=tuple((c.parameter, c.seconds) for c in time_model.changeovers),
        ),
    )


def _parameter(spec: module_pb2.ParameterSpec) -> ParameterEnvelope:
    kind = spec.WhichOneof("constraint")
    if kind == "range":
        return ParameterEnvelope(
            name=spec.name,
            minimum=spec.range.min,
            maximum=spec.range.max,
            unit=spec.range.unit,
            required=spec.required,
        )
    if kind == "allowed":
        return ParameterEnvelope(
            name=spec.name, allowed=tuple(spec.allowed.values), required=spec.required
        )
    return ParameterEnvelope(name=spec.name, required=spec.required)


def description_to_proto(module: ModuleDescription) -> module_pb2.ModuleDescriptor:
    return module_pb2.ModuleDescriptor(
        module_id=module.module_id,
        vendor=module.vendor,
        model=module.model,
        serial=module.serial,
        footprint=_FOOTPRINT_CODES.get(module.footprint, module_pb2.FOOTPRINT_UNSPECIFIED),
        dock=module.dock,
        opcua_endpoint=module.opcua_endpoint,
        kind=module.kind,
        capabilities=[_capability_to_proto(c) for c in module.capabilities],
        utilities=module_pb2.UtilityNeeds(
            power_kw=module.utilities.power_kw,
            air_nl_per_min=module.utilities.air_nl_per_min,
            water_l_per_min=module.utilities.water_l_per_min,
        ),
    )


def _capability_to_proto(capability: CapabilityOffer) -> module_pb2.Capability:
    parameters = []
    for p in capability.parameters:
        spec = module_pb2.ParameterSpec(name=p.name, required=p.required)
        if p.allowed is not None:
            spec.allowed.values.extend(p.allowed)
        elif p.minimum is not None:
            spec.range.CopyFrom(module_pb2.NumericRange(min=p.minimum, max=p.maximum, unit=p.unit))
        parameters.append(spec)
    time_model = capability.time_model
    return module_pb2.Capability(
        name=capability.name,
        parameters=parameters,
        time_model=module_pb2.TimeModel(
            setup_seconds=time_model.setup_seconds,
            seconds_per_unit=time_model.seconds_per_unit,
            batch_capacity=time_model.batch_capacity,
            changeovers=[
                module_pb2.Changeover(parameter=name, seconds=seconds)
                for name, seconds in time_model.changeovers
            ],
        ),
    )


def item_state_from_proto(code: int) -> str:
    return ITEM_STATES.get(code, ItemState.NOT_AVAILABLE)


def module_to_proto(view: ModuleView) -> module_pb2.Module:
    entry = view.entry
    return module_pb2.Module(
        descriptor=description_to_proto(entry.description),
        epoch=entry.epoch,
        liveness=_LIVENESS[entry.liveness],
        item_state=_ITEM_STATE_CODES.get(entry.item_state, module_pb2.ITEM_STATE_NOT_AVAILABLE),
        registered_at=timestamp(entry.registered_at),
        lease_expires_at=timestamp(view.lease_expires_at),
        draining=entry.draining,
        released=entry.released,
    )


# -- orders -------------------------------------------------------------------------------


def order_to_proto(view: OrderView) -> order_pb2.Order:
    record = view.record
    spec = record.recipe.spec
    order = order_pb2.Order(
        order_id=record.order_id,
        name=record.name,
        product=spec.product,
        quantity=spec.quantity,
        priority=spec.priority,
        lot_size=spec.lot_size or spec.quantity,
        state=_ORDER_STATES[view.state],
        submitted_at=timestamp(record.submitted_at),
        source=record.source,
        steps=[
            order_pb2.Step(
                id=step.id,
                capability=step.capability,
                after=list(step.after),
                parameters={k: _parameter_value(v) for k, v in step.parameters.items()},
            )
            for step in spec.steps
        ],
        unmatched=[_unmatched(u) for u in view.unmatched],
        operations_total=view.operations_total,
        operations_done=view.operations_done,
    )
    if spec.due is not None:
        order.due.CopyFrom(timestamp(spec.due))
    if view.completed_at is not None:
        order.completed_at.CopyFrom(timestamp(view.completed_at))
    return order


_ATTEMPT_STATES = {
    AttemptState.STARTING: attempt_pb2.ATTEMPT_STATE_STARTING,
    AttemptState.RUNNING: attempt_pb2.ATTEMPT_STATE_RUNNING,
    AttemptState.COMPLETE: attempt_pb2.ATTEMPT_STATE_COMPLETE,
    AttemptState.FAILED: attempt_pb2.ATTEMPT_STATE_FAILED,
    AttemptState.SUPERSEDED: attempt_pb2.ATTEMPT_STATE_SUPERSEDED,
}


def attempt_to_proto(attempt: Attempt) -> attempt_pb2.Attempt:
    message = attempt_pb2.Attempt(
        execution_id=attempt.execution_id,
        operation_id=attempt.operation_id,
        order_id=attempt.order_id,
        module_id=attempt.module_id,
        epoch=attempt.epoch,
        capability=attempt.capability,
        parameters_json=json.dumps(attempt.parameters),
        units=attempt.units,
        state=_ATTEMPT_STATES[attempt.state],
        started_at=timestamp(attempt.started_at),
        results_json=json.dumps(attempt.results, default=str),
        error=attempt.error,
    )
    if attempt.ended_at is not None:
        message.ended_at.CopyFrom(timestamp(attempt.ended_at))
    return message


def _parameter_value(value: str | int | float | bool) -> order_pb2.ParameterValue:
    if isinstance(value, bool):
        return order_pb2.ParameterValue(flag=value)
    if isinstance(value, int | float):
        return order_pb2.ParameterValue(number=float(value))
    return order_pb2.ParameterValue(text=value)


def _unmatched(unmatched: Unmatched) -> order_pb2.Unmatched:
    return order_pb2.Unmatched(
        step_id=unmatched.step_id,
        capability=unmatched.capability,
        parameter=unmatched.parameter,
        closest_module_id=unmatched.closest_module_id,
        reason=unmatched.reason,
    )


# -- plans --------------------------------------------------------------------------------


def plan_to_proto(plan: Plan) -> plan_pb2.Plan:
    return plan_pb2.Plan(
        version=plan.version,
        status=_PLAN_STATUS[plan.status],
        created_at=timestamp(plan.created_at),
        origin=timestamp(plan.origin),
        assignments=[
            plan_pb2.Assignment(
                operation_id=a.operation_id,
                order_id=a.order_id,
                step_id=a.step_id,
                lot=a.lot,
                units=a.units,
                module_id=a.module_id,
                start=timestamp(a.start),
                end=timestamp(a.end),
            )
            for a in plan.assignments
        ],
        unplanned_order_ids=list(plan.unplanned_order_ids),
        makespan_seconds=plan.makespan_seconds,
        weighted_tardiness_seconds=plan.weighted_tardiness_seconds,
        solve_seconds=plan.solve_seconds,
        objective=plan.objective,
        objective_bound=plan.objective_bound,
    )


def line_graph_to_proto(graph: LineGraph) -> plan_pb2.LineGraph:
    return plan_pb2.LineGraph(
        order_id=graph.order_id,
        nodes=[
            plan_pb2.LineNode(
                module_id=n.module_id, dock=n.dock, operation_ids=list(n.operation_ids)
            )
            for n in graph.nodes
        ],
        edges=[
            plan_pb2.LineEdge(
                from_module_id=e.from_module_id,
                to_module_id=e.to_module_id,
                transport_seconds=e.transport_seconds,
                flows=list(e.flows),
            )
            for e in graph.edges
        ],
    )


def kpis_to_proto(kpis: PlanKpis) -> orchestrator_pb2.PlanKpis:
    return orchestrator_pb2.PlanKpis(
        orders_planned=kpis.orders_planned,
        orders_on_time=kpis.orders_on_time,
        orders_unplanned=kpis.orders_unplanned,
        weighted_tardiness_seconds=kpis.weighted_tardiness_seconds,
        makespan_seconds=kpis.makespan_seconds,
    )


def event_to_proto(event: Event) -> event_pb2.Event:
    return event_pb2.Event(
        sequence=event.sequence,
        time=timestamp(event.time),
        kind=event.kind,
        subject=event.subject,
        message=event.message,
        actor=event.actor,
    )
