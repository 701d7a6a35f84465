"""A small client of pnp.v1.Orchestrator for the CLI: deadlines on every call, errors
turned back into the PnpError tree (so the CLI maps them to exit codes once).

The address may list several orchestrator replicas (``host:port,host:port``). The
client finds the leader itself (``pnp.v1.leader``): when a call fails with UNAVAILABLE
it follows the leader a standby named, or goes on to the next address, backing off once
every address has failed, all within the call's deadline; then it stays with the
replica that answered. A call whose deadline ran out fails, and the next call starts at
the next address (a frozen replica answers nothing). One address that cannot be reached
fails at once, as it always did; an event stream reopens on the new leader from the
last event it delivered.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import grpc

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.api.tls import channel_credentials
from pnp.orchestrator.errors import BadInput, PnpError, Unavailable, Violation
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from pnp.v1.leader import AddressError, LeaderSeeker, leader_hint, parse_addresses

DEFAULT_ORCHESTRATOR = "127.0.0.1:50051"
ENV_ORCHESTRATOR = "PNP_ORCHESTRATOR"
DEFAULT_DEADLINE = 10.0
ORDERS_PAGE = 500  # orders asked for per ListOrders call
ATTEMPTS_PAGE = 1000  # attempts asked for per ListAttempts call (the server's largest page)
# Pauses between rounds over every address (a takeover takes the lease TTL and seconds).
FIRST_PAUSE, LONGEST_PAUSE = 0.1, 1.0


def orchestrator_address(explicit: str | None) -> str:
    """The address list from ``--orchestrator``, else ``$PNP_ORCHESTRATOR``, else the
    default: each entry checked (``host:port``, port 1..65535; no port means 50051) and
    written out in full. A bad entry is ``BadInput`` naming where it came from."""
    if explicit:
        source, text = "--orchestrator", explicit
    elif os.environ.get(ENV_ORCHESTRATOR):
        source, text = f"${ENV_ORCHESTRATOR}", os.environ[ENV_ORCHESTRATOR]
    else:
        return DEFAULT_ORCHESTRATOR
    return ",".join(_addresses(text, source))


def _addresses(text: str, source: str = "orchestrator address") -> tuple[str, ...]:
    try:
        return parse_addresses(text)
    except AddressError as error:
        raise BadInput(f"{source}: {error}", [Violation(source, str(error))]) from None


class OrchestratorClient:
    """``async with OrchestratorClient(address) as client: await client.list_orders()``

    ``address``: one ``host:port`` or a comma-separated list of replicas."""

    def __init__(
        self, address: str, deadline: float = DEFAULT_DEADLINE, tls: TlsFiles | None = None
    ) -> None:
        self.address = address
        self.seeker = LeaderSeeker(_addresses(address))
        self.deadline = deadline
        self.tls = tls  # None: plain text (local development)
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: dict[tuple[str, type], Any] = {}  # by (replica, stub class)

    async def __aenter__(self) -> OrchestratorClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        channels, self._channels = self._channels, {}
        self._stubs.clear()
        for channel in channels.values():
            await channel.close()

    def _stub(self, service: type = orchestrator_pb2_grpc.OrchestratorStub) -> Any:
        """The ``service`` stub of the replica to call now (its channel opened on first
        use, and shared by every service of that replica)."""
        address = self.seeker.current
        stub = self._stubs.get((address, service))
        if stub is None:
            channel = self._channels.get(address)
            if channel is None:
                channel = self._channels[address] = (
                    grpc.aio.insecure_channel(address)
                    if self.tls is None
                    else grpc.aio.secure_channel(address, channel_credentials(self.tls))
                )
            stub = self._stubs[(address, service)] = service(channel)
        return stub

    async def call(self, service: type, method: str, request, deadline: float | None = None) -> Any:
        """Calls ``method`` of another service (e.g. pnp.v1.DigitalTwin) on the leader,
        wherever it is, as this client's own calls are."""
        return await self._call(method, request, deadline, service)

    async def _call(
        self,
        method: str,
        request,
        deadline: float | None = None,
        service: type = orchestrator_pb2_grpc.OrchestratorStub,
    ) -> Any:
        """Calls ``method`` on the leader, wherever it is, within one deadline."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + (deadline or self.deadline)
        pause = FIRST_PAUSE
        while True:
            try:
                response = await getattr(self._stub(service), method)(
                    request, timeout=max(ends - loop.time(), 0.001)
                )
            except grpc.aio.AioRpcError as error:
                pause = await self._seek(error, ends, pause)
                continue
            self.seeker.answered()
            return response

    async def _seek(self, error: grpc.aio.AioRpcError, ends: float, pause: float) -> float:
        """After ``error``: moves to the next candidate (backing off once all of them
        failed) and returns the next pause; or raises the error as a PnpError when it
        is no matter of finding the leader, or there is no time or place left to try."""
        redirect = leader_hint(error)
        single = len(self.seeker.addresses) == 1 and redirect is None
        if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED and not single:
            # A replica frozen mid-call (SIGSTOP, a VM stall) accepts connections and
            # answers nothing: the next call starts at another one (a standby sends it
            # back here if this one still leads).
            self.seeker.failed()
        if error.code() is not grpc.StatusCode.UNAVAILABLE or single:
            raise self._failure(error) from None
        loop = asyncio.get_running_loop()
        if not self.seeker.failed(redirect):
            await asyncio.sleep(max(0.0, min(pause, ends - loop.time())))
            pause = min(LONGEST_PAUSE, pause * 2)
        if loop.time() >= ends:
            raise self._failure(error) from None
        return pause

    def _failure(self, error: grpc.aio.AioRpcError) -> PnpError:
        failure = error_from_rpc(error)
        if isinstance(failure, Unavailable) and len(self.seeker.addresses) > 1:
            tried = ", ".join(self.seeker.addresses)
            return Unavailable(f"no orchestrator of {tried} served: {failure.message}")
        return failure

    async def submit_order(self, recipe_yaml: str, source: str, request_id: str):
        request = orchestrator_pb2.SubmitOrderRequest(
            recipe_yaml=recipe_yaml, source=source, request_id=request_id
        )
        return (await self._call("SubmitOrder", request)).order

    async def get_order(self, order_id: str) -> orchestrator_pb2.GetOrderResponse:
        return await self._call("GetOrder", orchestrator_pb2.GetOrderRequest(order_id=order_id))

    async def list_orders(self, limit: int | None = None) -> list:
        """Every order (or the ``limit`` newest), oldest first: ListOrders followed page
        by page, newest first, until the last page or the limit."""
        newest_first: list = []
        token = ""
        while limit is None or len(newest_first) < limit:
            wanted = ORDERS_PAGE if limit is None else min(ORDERS_PAGE, limit - len(newest_first))
            request = orchestrator_pb2.ListOrdersRequest(page_size=wanted, page_token=token)
            response = await self._call("ListOrders", request)
            newest_first.extend(response.orders)
            token = response.next_page_token
            if not token:
                break
        # Sorted rather than reversed: a server older than paging ignores page_size and
        # answers every order (the open ones and the recent), oldest first, at once.
        oldest_first = sorted(newest_first, key=_submission)
        return oldest_first[-limit:] if limit else oldest_first

    async def open_and_recent_orders(self) -> list:
        """The open orders and the 100 most recently submitted closed ones, oldest first
        (an unpaged ListOrders): what a status view shows, in one call."""
        return list((await self._call("ListOrders", orchestrator_pb2.ListOrdersRequest())).orders)

    async def cancel_order(self, order_id: str, request_id: str):
        request = orchestrator_pb2.CancelOrderRequest(order_id=order_id, request_id=request_id)
        return (await self._call("CancelOrder", request)).order

    async def list_modules(self):
        return (await self.list_modules_response()).modules

    async def list_modules_response(self) -> orchestrator_pb2.ListModulesResponse:
        """The modules and the factory time they were seen at."""
        return await self._call("ListModules", orchestrator_pb2.ListModulesRequest())

    async def get_module(self, module_id: str):
        request = orchestrator_pb2.GetModuleRequest(module_id=module_id)
        return (await self._call("GetModule", request)).module

    async def drain_module(self, module_id: str):
        request = orchestrator_pb2.DrainModuleRequest(module_id=module_id, request_id="")
        return (await self._call("DrainModule", request)).module

    async def what_if(self, without, with_modules, with_descriptors):
        request = orchestrator_pb2.WhatIfRequest(
            without_module_ids=list(without),
            with_modules=list(with_modules),
            with_descriptors=list(with_descriptors),
        )
        return await self._call("WhatIf", request)

    def watch_events(self, after_sequence: int = 0, tail: int = 0) -> EventStream:
        """A server stream of events (no deadline: it follows until cancelled); with
        ``tail`` (and no ``after_sequence``) it starts at the latest ``tail`` events."""
        return EventStream(self, after_sequence, tail)

    async def list_attempts(self, order_id: str = ""):
        return (await self.list_attempts_response(order_id)).attempts

    async def list_attempts_response(self, order_id: str = ""):
        """The attempts and the factory time they were seen at (for running ones): the
        whole order, or without one the server's unpaged default (what is in flight or
        of open orders, and the most recent)."""
        request = orchestrator_pb2.ListAttemptsRequest(order_id=order_id)
        return await self._call("ListAttempts", request)

    async def every_attempt(
        self, order_id: str = "", limit: int | None = None
    ) -> orchestrator_pb2.ListAttemptsResponse:
        """Every attempt (or the ``limit`` that started last), oldest first, with the
        factory time of the last answer: ListAttempts followed page by page, newest first,
        until the last page or the limit."""
        newest_first: list = []
        token = ""
        while True:
            left = None if limit is None else limit - len(newest_first)
            wanted = ATTEMPTS_PAGE if left is None else min(ATTEMPTS_PAGE, left)
            request = orchestrator_pb2.ListAttemptsRequest(
                order_id=order_id, page_size=wanted, page_token=token
            )
            response = await self._call("ListAttempts", request)
            newest_first.extend(response.attempts)
            token = response.next_page_token
            if not token or (limit is not None and len(newest_first) >= limit):
                break
        # Sorted rather than reversed: a server older than paging ignores page_size and
        # answers everything, oldest first, in one response.
        oldest_first = sorted(newest_first, key=_attempt_start)
        return orchestrator_pb2.ListAttemptsResponse(
            attempts=oldest_first[-limit:] if limit else oldest_first,
            factory_time=response.factory_time,
        )

    async def get_layout(self):
        """The factory layout, or None on an open floor."""
        response = await self._call("GetLayout", orchestrator_pb2.GetLayoutRequest())
        return response.layout if response.HasField("layout") else None

    async def export_order_data(self, order_id: str) -> str:
        request = orchestrator_pb2.ExportOrderDataRequest(order_id=order_id)
        return (await self._call("ExportOrderData", request)).package_json

    async def get_plan(self, wait_for_current: bool = True, deadline: float | None = None):
        request = orchestrator_pb2.GetPlanRequest(wait_for_current=wait_for_current)
        return (await self._call("GetPlan", request, deadline)).plan


class EventStream:
    """``WatchEvents`` from the leader: ``read()`` (``grpc.aio.EOF`` at the end),
    ``cancel()``, ``async for``. When the leader goes away mid-stream it reopens on the
    next one, after the last event it delivered, within the client's deadline; other
    failures are raised as ``grpc.aio.AioRpcError``, as a plain stream would."""

    def __init__(self, client: OrchestratorClient, after_sequence: int, tail: int = 0) -> None:
        self._client = client
        self._after = after_sequence
        self._tail = tail  # until the first event is read: then it goes on after that
        self._call: Any = None

    async def read(self):
        loop = asyncio.get_running_loop()
        ends: float | None = None
        pause = FIRST_PAUSE
        while True:
            if self._call is None:
                request = orchestrator_pb2.WatchEventsRequest(
                    after_sequence=self._after, tail=0 if self._after else self._tail
                )
                self._call = self._client._stub().WatchEvents(request)
            try:
                response = await self._call.read()
            except grpc.aio.AioRpcError as error:
                self._call = None
                ends = ends or loop.time() + self._client.deadline
                try:
                    pause = await self._client._seek(error, ends, pause)
                except PnpError:
                    raise error from None
                continue
            if response is not grpc.aio.EOF:
                self._after = response.event.sequence
                self._client.seeker.answered()
            return response

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self):
        response = await self.read()
        if response is grpc.aio.EOF:
            raise StopAsyncIteration
        return response


def _attempt_start(attempt) -> tuple[int, int, str]:
    return (attempt.started_at.seconds, attempt.started_at.nanos, attempt.execution_id)


def _submission(order) -> tuple[int, str]:
    # Order ids are the submission number, zero-padded to five digits ("ord-00042"):
    # by length first, so ord-100000 follows ord-99999.
    return (len(order.order_id), order.order_id)
