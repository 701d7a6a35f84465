"""A small client of pnp.v1.DigitalTwin for the CLI, like ``cli.client`` for the
orchestrator's service: the same address and TLS files, a deadline on every call, errors
turned back into the PnpError tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2

from pnp.orchestrator.cli.app import CliContext, run
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import Unsupported
from pnp.v1 import twin_pb2, twin_pb2_grpc


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    # Not api.convert's: importing it loads the planner (OR-Tools, pandas) into every
    # `pnp` process, `pnp module run` too, which then starts slower and dies slower.
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


class TwinClient:
    """The DigitalTwin service over an orchestrator client's connections: the same
    replicas (the leader found as for any call), TLS files and deadline."""

    def __init__(self, client: OrchestratorClient) -> None:
        self._client = client

    async def _call(self, method: str, request) -> Any:
        return await self._client.call(twin_pb2_grpc.DigitalTwinStub, method, request)

    async def module_shell(self, module_id: str) -> str:
        request = twin_pb2.GetModuleShellRequest(module_id=module_id)
        return (await self._call("GetModuleShell", request)).environment_json

    async def usage(
        self, start: datetime, end: datetime | None, by: twin_pb2.UsageGrouping.ValueType
    ) -> twin_pb2.GetUsageResponse:
        """``end`` None: up to the orchestrator's clock (its factory time)."""
        request = twin_pb2.GetUsageRequest(from_time=timestamp(start), by=by)
        if end is not None:
            request.to_time.CopyFrom(timestamp(end))
        return await self._call("GetUsage", request)

    async def export_passport(self, module_id: str) -> str:
        request = twin_pb2.ExportPassportRequest(module_id=module_id)
        return (await self._call("ExportPassport", request)).passport_json

    async def import_passport(
        self, passport_json: str, request_id: str
    ) -> twin_pb2.ImportPassportResponse:
        request = twin_pb2.ImportPassportRequest(passport_json=passport_json, request_id=request_id)
        return await self._call("ImportPassport", request)

    async def signed_order_data(
        self, order_id: str, purpose: str, recipient: str, expires_at: datetime
    ) -> str:
        request = twin_pb2.ExportSignedOrderDataRequest(
            order_id=order_id,
            purpose=purpose,
            recipient=recipient,
            expires_at=timestamp(expires_at),
        )
        return (await self._call("ExportSignedOrderData", request)).signed_json

    async def module_health(self) -> list[twin_pb2.ModuleHealth]:
        request = twin_pb2.ListModuleHealthRequest()
        return list((await self._call("ListModuleHealth", request)).modules)

    async def schedule_maintenance(
        self,
        module_id: str,
        start: datetime | None,
        end: datetime | None,
        reason: str,
        accept_proposal: bool,
        request_id: str,
    ) -> twin_pb2.MaintenanceWindow:
        request = twin_pb2.ScheduleMaintenanceRequest(
            module_id=module_id,
            reason=reason,
            accept_proposal=accept_proposal,
            request_id=request_id,
        )
        if start is not None:
            request.start.CopyFrom(timestamp(start))
        if end is not None:
            request.end.CopyFrom(timestamp(end))
        return (await self._call("ScheduleMaintenance", request)).window


async def health_scores(client: OrchestratorClient) -> dict[str, float]:
    """Module id -> health score, over ``client``'s channel (the same orchestrator);
    empty from an orchestrator without the DigitalTwin service."""
    # The orchestrator's client owns the channel; the twin's stub shares it.
    twin = TwinClient(client)
    try:
        modules = await twin.module_health()
    except Unsupported:
        return {}
    return {m.module_id: m.score for m in modules if m.scored}


def ask_twin(obj: CliContext, call):
    """Opens a channel to the orchestrator, awaits ``call(twin_client)``, returns its result."""

    async def session():
        async with OrchestratorClient(obj.orchestrator, tls=obj.client_tls()) as client:
            return await call(TwinClient(client))

    return run(session())
