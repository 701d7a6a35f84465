"""A registry that grants a 1 ms heartbeat interval and acknowledges a heartbeat only
when the test says so: for the rule that a session keeps at most one heartbeat
unacknowledged (docs/module-contract.md, 1.2), for the SDK and for the Node.js module."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from google.protobuf import duration_pb2

from pnp.v1 import registry_pb2, registry_pb2_grpc
from tests.loopback_grpc import serving_on_loopback


def seconds(value: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(value * 1e9))
    return duration


class SlowRegistry(registry_pb2_grpc.ModuleRegistryServicer):
    """Grants a heartbeat interval of 1 ms and acknowledges a heartbeat only when the
    test says so; every message the session carries is put on ``received``."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[registry_pb2.SessionRequest] = asyncio.Queue()
        self.acks: asyncio.Queue[int] = asyncio.Queue()

    async def RegisterModule(self, request, context):
        return registry_pb2.RegisterModuleResponse(
            module_id=request.descriptor.module_id,
            epoch=1,
            lease_ttl=seconds(60.0),
            heartbeat_interval=seconds(0.001),
        )

    async def Session(self, request_iterator, context):
        async def acknowledge() -> None:
            while True:
                sequence = await self.acks.get()
                ack = registry_pb2.HeartbeatAck(sequence=sequence, lease_remaining=seconds(60))
                await context.write(registry_pb2.SessionResponse(heartbeat_ack=ack))

        writer = asyncio.create_task(acknowledge())
        try:
            async for message in request_iterator:
                await self.received.put(message)
        finally:
            writer.cancel()


async def next_message(registry: SlowRegistry, kind: str) -> registry_pb2.SessionRequest:
    """The next message of ``kind`` on the session; fails on any other kind."""
    message = await asyncio.wait_for(registry.received.get(), timeout=10)
    assert message.WhichOneof("message") == kind, message
    return message


@contextlib.asynccontextmanager
async def serving(registry: SlowRegistry) -> AsyncIterator[str]:
    """``registry`` on a real gRPC server on a free loopback port; yields its address."""
    async with serving_on_loopback(
        lambda server: registry_pb2_grpc.add_ModuleRegistryServicer_to_server(registry, server)
    ) as address:
        yield address
