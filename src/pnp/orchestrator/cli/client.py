"""A small client of pnp.v1.Orchestrator for the CLI: deadlines on every call, errors
turned back into the PnpError tree (so the CLI maps them to exit codes once)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.api.tls import channel_credentials
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc

DEFAULT_ORCHESTRATOR = "127.0.0.1:50051"
ENV_ORCHESTRATOR = "PNP_ORCHESTRATOR"
DEFAULT_DEADLINE = 10.0

Response = TypeVar("Response")


def orchestrator_address(explicit: str | None) -> str:
    return explicit or os.environ.get(ENV_ORCHESTRATOR) or DEFAULT_ORCHESTRATOR


class OrchestratorClient:
    """``async with OrchestratorClient(address) as client: await client.list_orders()``"""

    def __init__(
        self, address: str, deadline: float = DEFAULT_DEADLINE, tls: TlsFiles | None = None
    ) -> None:
        self.address = address
        self.deadline = deadline
        self.tls = tls  # None: plain text (local development)
        self._channel: grpc.aio.Channel | None = None
        self._stub: orchestrator_pb2_grpc.OrchestratorStub | None = None

    async def __aenter__(self) -> OrchestratorClient:
        self._channel = (
            grpc.aio.insecure_channel(self.address)
            if self.tls is None
            else grpc.aio.secure_channel(self.address, channel_credentials(self.tls))
        )
        self._stub = orchestrator_pb2_grpc.OrchestratorStub(self._channel)
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._channel is not None:
            await self._channel.close()

    async def _call(
        self, method: Callable[..., Awaitable[Response]], request, deadline=None
    ) -> Response:
        try:
            return await method(request, timeout=deadline or self.deadline)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None

    async def submit_order(self, recipe_yaml: str, source: str, request_id: str):
        request = orchestrator_pb2.SubmitOrderRequest(
            recipe_yaml=recipe_yaml, source=source, request_id=request_id
        )
        return (await self._call(self._stub.SubmitOrder, request)).order

    async def get_order(self, order_id: str) -> orchestrator_pb2.GetOrderResponse:
        return await self._call(
            self._stub.GetOrder, orchestrator_pb2.GetOrderRequest(order_id=order_id)
        )

    async def list_orders(self):
        return (
            await self._call(self._stub.ListOrders, orchestrator_pb2.ListOrdersRequest())
        ).orders

    async def cancel_order(self, order_id: str, request_id: str):
        request = orchestrator_pb2.CancelOrderRequest(order_id=order_id, request_id=request_id)
        return (await self._call(self._stub.CancelOrder, request)).order

    async def list_modules(self):
        return (await self.list_modules_response()).modules

    async def list_modules_response(self) -> orchestrator_pb2.ListModulesResponse:
        """The modules and the factory time they were seen at."""
        return await self._call(self._stub.ListModules, orchestrator_pb2.ListModulesRequest())

    async def get_module(self, module_id: str):
        request = orchestrator_pb2.GetModuleRequest(module_id=module_id)
        return (await self._call(self._stub.GetModule, request)).module

    async def drain_module(self, module_id: str):
        request = orchestrator_pb2.DrainModuleRequest(module_id=module_id, request_id="")
        return (await self._call(self._stub.DrainModule, request)).module

    async def what_if(self, without, with_modules, with_descriptors):
        request = orchestrator_pb2.WhatIfRequest(
            without_module_ids=list(without),
            with_modules=list(with_modules),
            with_descriptors=list(with_descriptors),
        )
        return await self._call(self._stub.WhatIf, request)

    def watch_events(self, after_sequence: int = 0):
        """A server stream of events (no deadline: it follows until cancelled)."""
        return self._stub.WatchEvents(
            orchestrator_pb2.WatchEventsRequest(after_sequence=after_sequence)
        )

    async def list_attempts(self, order_id: str = ""):
        return (await self.list_attempts_response(order_id)).attempts

    async def list_attempts_response(self, order_id: str = ""):
        """The attempts and the factory time they were seen at (for running ones)."""
        request = orchestrator_pb2.ListAttemptsRequest(order_id=order_id)
        return await self._call(self._stub.ListAttempts, request)

    async def get_layout(self):
        """The factory layout, or None on an open floor."""
        response = await self._call(self._stub.GetLayout, orchestrator_pb2.GetLayoutRequest())
        return response.layout if response.HasField("layout") else None

    async def export_order_data(self, order_id: str) -> str:
        request = orchestrator_pb2.ExportOrderDataRequest(order_id=order_id)
        return (await self._call(self._stub.ExportOrderData, request)).package_json

    async def get_plan(self, wait_for_current: bool = True, deadline: float | None = None):
        request = orchestrator_pb2.GetPlanRequest(wait_for_current=wait_for_current)
        return (await self._call(self._stub.GetPlan, request, deadline)).plan
