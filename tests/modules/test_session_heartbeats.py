"""The SDK's session keeps at most one heartbeat unacknowledged: an orchestrator that
falls behind (a registration herd, a starved CPU) then has one queued beat per session
to read, not every beat sent meanwhile, and catches up (bench/README.md, branch
``beat4``). A real gRPC server whose acknowledgements the test releases."""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest
from google.protobuf import duration_pb2

from pnp.sdk.session import RegistryClient
from pnp.v1 import module_pb2, registry_pb2, registry_pb2_grpc

pytestmark = pytest.mark.servers


def _seconds(value: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(value * 1e9))
    return duration


class _SlowRegistry(registry_pb2_grpc.ModuleRegistryServicer):
    """Grants a heartbeat interval of 1 ms and acknowledges a heartbeat only when the
    test says so; every message the session carries is put on ``received``."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[registry_pb2.SessionRequest] = asyncio.Queue()
        self.acks: asyncio.Queue[int] = asyncio.Queue()

    async def RegisterModule(self, request, context):
        return registry_pb2.RegisterModuleResponse(
            module_id=request.descriptor.module_id,
            epoch=1,
            lease_ttl=_seconds(60.0),
            heartbeat_interval=_seconds(0.001),
        )

    async def Session(self, request_iterator, context):
        async def acknowledge() -> None:
            while True:
                sequence = await self.acks.get()
                ack = registry_pb2.HeartbeatAck(sequence=sequence, lease_remaining=_seconds(60))
                await context.write(registry_pb2.SessionResponse(heartbeat_ack=ack))

        writer = asyncio.create_task(acknowledge())
        try:
            async for message in request_iterator:
                await self.received.put(message)
        finally:
            writer.cancel()


async def _next(registry: _SlowRegistry, kind: str) -> registry_pb2.SessionRequest:
    """The next message of ``kind`` on the session; fails on any other kind."""
    message = await asyncio.wait_for(registry.received.get(), timeout=10)
    assert message.WhichOneof("message") == kind, message
    return message


async def test_no_heartbeat_goes_out_while_the_last_one_is_unacknowledged():
    registry = _SlowRegistry()
    server = grpc.aio.server()
    registry_pb2_grpc.add_ModuleRegistryServicer_to_server(registry, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    client = RegistryClient(
        f"127.0.0.1:{port}",
        module_pb2.ModuleDescriptor(module_id="m-1", dock="A1"),
        seed=1,
    )
    running = asyncio.create_task(client.run())
    try:
        await _next(registry, "hello")
        await _next(registry, "state")  # a new session reports the current state first
        first = await _next(registry, "heartbeat")
        # Each state report wakes the session's writer, which then finds a beat due (the
        # interval is 1 ms): were beats not held back, they would arrive between these.
        for state in (module_pb2.ITEM_STATE_EXECUTING, module_pb2.ITEM_STATE_NOT_EXECUTING) * 3:
            client.report_item_state(state)
            await _next(registry, "state")
        await registry.acks.put(first.heartbeat.sequence)
        second = await _next(registry, "heartbeat")  # acknowledged: the next beat goes out
        assert second.heartbeat.sequence == first.heartbeat.sequence + 1
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await server.stop(None)
