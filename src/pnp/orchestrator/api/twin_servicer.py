"""pnp.v1.DigitalTwin: shells, usage, passports and signed order data, for planners."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pnp.orchestrator.api.convert import timestamp
from pnp.orchestrator.api.status import maps_errors
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.service.twin import TwinService
from pnp.orchestrator.twin.aas import environment_json
from pnp.orchestrator.twin.metering import Grouping, UsageRow, UsageState
from pnp.orchestrator.twin.order_terms import UsageTerms
from pnp.orchestrator.twin.records import Period
from pnp.v1 import twin_pb2, twin_pb2_grpc

_GROUPINGS = {
    twin_pb2.USAGE_GROUPING_MODULE: Grouping.MODULE,
    twin_pb2.USAGE_GROUPING_VENDOR: Grouping.VENDOR,
    twin_pb2.USAGE_GROUPING_ORDER: Grouping.ORDER,
}


class DigitalTwinServicer(twin_pb2_grpc.DigitalTwinServicer):
    def __init__(self, twin: TwinService) -> None:
        self.twin = twin

    @maps_errors
    async def GetModuleShell(self, request, context):
        _require("module_id", request.module_id)
        shell = await self.twin.shell(request.module_id)
        return twin_pb2.GetModuleShellResponse(environment_json=environment_json([shell]))

    @maps_errors
    async def GetUsage(self, request, context):
        if not request.HasField("from_time"):
            raise BadInput("from_time is required", [Violation("from_time", "give the start")])
        by = _GROUPINGS.get(request.by)
        if by is None:
            raise BadInput("by is required", [Violation("by", "module, vendor or order")])
        # Without an end, up to the orchestrator's clock (factory time under --time-scale).
        end = (
            request.to_time.ToDatetime(tzinfo=UTC)
            if request.HasField("to_time")
            else self.twin.factory.clock.now()
        )
        period = Period(request.from_time.ToDatetime(tzinfo=UTC), end)
        rows, until = await self.twin.usage(period, by)
        return twin_pb2.GetUsageResponse(
            rows=[_row(r) for r in rows], metered_until=timestamp(until)
        )

    @maps_errors
    async def ExportPassport(self, request, context):
        _require("module_id", request.module_id)
        document = await self.twin.export_passport(request.module_id)
        return twin_pb2.ExportPassportResponse(passport_json=json.dumps(document, indent=2))

    @maps_errors
    async def ImportPassport(self, request, context):
        _require("request_id", request.request_id)
        passport, stored = await self.twin.import_passport(
            _json("passport_json", request.passport_json), request.request_id
        )
        return twin_pb2.ImportPassportResponse(
            module_id=stored.module_id,
            vendor=stored.vendor,
            serial=stored.serial,
            signer=stored.signer,
            issuer=stored.issuer,
            sites=len(passport.history),
        )

    @maps_errors
    async def ExportSignedOrderData(self, request, context):
        _require("order_id", request.order_id)
        if not request.HasField("expires_at"):
            raise BadInput("expires_at is required", [Violation("expires_at", "give an expiry")])
        terms = _terms(
            request.purpose, request.recipient, request.expires_at.ToDatetime(tzinfo=UTC)
        )
        document = await self.twin.signed_order_data(request.order_id, terms)
        return twin_pb2.ExportSignedOrderDataResponse(signed_json=json.dumps(document, indent=2))

    @maps_errors
    async def ListModuleHealth(self, request, context):
        planned = self.twin.factory.maintenance.all()
        modules = []
        for health, proposal in await self.twin.health():
            message = twin_pb2.ModuleHealth(
                module_id=health.module_id,
                scored=health.score is not None,
                score=health.score or 0.0,
                anomaly=health.anomaly or 0.0,
                worst_feature=health.worst_feature,
                executions=health.samples,
                planned=[
                    _window(w.module_id, w.start, w.end, w.reason)
                    for w in planned
                    if w.module_id == health.module_id
                ],
            )
            if proposal is not None:
                message.proposal.CopyFrom(
                    _window(proposal.module_id, proposal.start, proposal.end, proposal.reason)
                )
            modules.append(message)
        return twin_pb2.ListModuleHealthResponse(modules=modules)

    @maps_errors
    async def ScheduleMaintenance(self, request, context):
        _require("module_id", request.module_id)
        _require("request_id", request.request_id)
        window = await self.twin.schedule_maintenance(
            request.module_id,
            request.start.ToDatetime(tzinfo=UTC) if request.HasField("start") else None,
            request.end.ToDatetime(tzinfo=UTC) if request.HasField("end") else None,
            request.reason,
            request.request_id,
            accept_proposal=request.accept_proposal,
        )
        return twin_pb2.ScheduleMaintenanceResponse(
            window=_window(window.module_id, window.start, window.end, window.reason)
        )


def _window(module_id: str, start: datetime, end: datetime, reason: str):
    return twin_pb2.MaintenanceWindow(
        module_id=module_id, start=timestamp(start), end=timestamp(end), reason=reason
    )


def _row(row: UsageRow) -> twin_pb2.UsageRow:
    usage = row.usage
    return twin_pb2.UsageRow(
        key=row.key,
        vendor=row.vendor,
        executing_hours=usage.hours(UsageState.EXECUTING),
        idle_hours=usage.hours(UsageState.IDLE),
        held_hours=usage.hours(UsageState.HELD),
        out_of_service_hours=usage.hours(UsageState.OUT_OF_SERVICE),
        units=usage.units,
        energy_kwh=usage.energy_kwh,
        cycles=usage.cycles,
        failures=usage.failures,
    )


def _terms(purpose: str, recipient: str, expires_at: datetime) -> UsageTerms:
    _require("purpose", purpose)
    _require("recipient", recipient)
    return UsageTerms(purpose=purpose, recipient=recipient, expires_at=expires_at)


def _json(field: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise BadInput(f"{field} is not JSON", [Violation(field, str(error))]) from None


def _require(field: str, value: str) -> None:
    if not value:
        raise BadInput(f"{field} is required", [Violation(field, "must not be empty")])
