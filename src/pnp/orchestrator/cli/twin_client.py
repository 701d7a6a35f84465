"""A small client of pnp.v1.DigitalTwin for the CLI, like ``cli.client`` for the
orchestrator's service: the same address and TLS files, a deadline on every call, errors
turned back into the PnpError tree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import grpc

from pnp.orchestrator.api.convert import timestamp
from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.api.tls import channel_credentials
from pnp.orchestrator.cli.app import CliContext, run
from pnp.orchestrator.cli.client import DEFAULT_DEADLINE, OrchestratorClient
from pnp.orchestrator.errors import Unsupported
from pnp.v1 import twin_pb2, twin_pb2_grpc

Response = TypeVar("Response")


class TwinClient:
    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self._stub = twin_pb2_grpc.DigitalTwinStub(channel)
        self.deadline = deadline

    async def _call(self, method: Callable[..., Awaitable[Response]], request) -> Response:
        try:
            return await method(request, timeout=self.deadline)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None

    async def module_shell(self, module_id: str) -> str:
        request = twin_pb2.GetModuleShellRequest(module_id=module_id)
        return (await self._call(self._stub.GetModuleShell, request)).environment_json

    async def usage(
        self, start: datetime, end: datetime | None, by: twin_pb2.UsageGrouping.ValueType
    ) -> twin_pb2.GetUsageResponse:
        """``end`` None: up to the orchestrator's clock (its factory time)."""
        request = twin_pb2.GetUsageRequest(from_time=timestamp(start), by=by)
        if end is not None:
            request.to_time.CopyFrom(timestamp(end))
        return await self._call(self._stub.GetUsage, request)

    async def export_passport(self, module_id: str) -> str:
        request = twin_pb2.ExportPassportRequest(module_id=module_id)
        return (await self._call(self._stub.ExportPassport, request)).passport_json

    async def import_passport(
        self, passport_json: str, request_id: str
    ) -> twin_pb2.ImportPassportResponse:
        request = twin_pb2.ImportPassportRequest(passport_json=passport_json, request_id=request_id)
        return await self._call(self._stub.ImportPassport, request)

    async def signed_order_data(
        self, order_id: str, purpose: str, recipient: str, expires_at: datetime
    ) -> str:
        request = twin_pb2.ExportSignedOrderDataRequest(
            order_id=order_id,
            purpose=purpose,
            recipient=recipient,
            expires_at=timestamp(expires_at),
        )
        return (await self._call(self._stub.ExportSignedOrderData, request)).signed_json

    async def module_health(self) -> list[twin_pb2.ModuleHealth]:
        request = twin_pb2.ListModuleHealthRequest()
        return list((await self._call(self._stub.ListModuleHealth, request)).modules)

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
        return (await self._call(self._stub.ScheduleMaintenance, request)).window


async def health_scores(client: OrchestratorClient) -> dict[str, float]:
    """Module id -> health score, over ``client``'s channel (the same orchestrator);
    empty from an orchestrator without the DigitalTwin service."""
    # The orchestrator's client owns the channel; the twin's stub shares it.
    twin = TwinClient(client._channel, client.deadline)
    try:
        modules = await twin.module_health()
    except Unsupported:
        return {}
    return {m.module_id: m.score for m in modules if m.scored}


def ask_twin(obj: CliContext, call):
    """Opens a channel to the orchestrator, awaits ``call(twin_client)``, returns its result."""

    async def session():
        tls = obj.client_tls()
        channel = (
            grpc.aio.insecure_channel(obj.orchestrator)
            if tls is None
            else grpc.aio.secure_channel(obj.orchestrator, channel_credentials(tls))
        )
        async with channel:
            return await call(TwinClient(channel, DEFAULT_DEADLINE))

    return run(session())
