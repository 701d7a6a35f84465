"""The SDK's session keeps at most one heartbeat unacknowledged: an orchestrator that
falls behind (a registration herd, a starved CPU) then has one queued beat per session
to read, not every beat sent meanwhile, and catches up (bench/README.md, branch
``beat4``). A real gRPC server whose acknowledgements the test releases."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from pnp.sdk.session import RegistryClient
from pnp.v1 import module_pb2
from tests.modules.slow_registry import SlowRegistry, next_message, serving

pytestmark = pytest.mark.servers


async def test_no_heartbeat_goes_out_while_the_last_one_is_unacknowledged():
    registry = SlowRegistry()
    async with serving(registry) as address:
        client = RegistryClient(
            address, module_pb2.ModuleDescriptor(module_id="m-1", dock="A1"), seed=1
        )
        running = asyncio.create_task(client.run())
        try:
            await next_message(registry, "hello")
            await next_message(registry, "state")  # a new session reports its state first
            first = await next_message(registry, "heartbeat")
            # Each state report wakes the session's writer, which then finds a beat due
            # (the interval is 1 ms): were beats not held back, they would arrive between.
            for state in (
                module_pb2.ITEM_STATE_EXECUTING,
                module_pb2.ITEM_STATE_NOT_EXECUTING,
            ) * 3:
                client.report_item_state(state)
                await next_message(registry, "state")
            await registry.acks.put(first.heartbeat.sequence)
            second = await next_message(registry, "heartbeat")  # acknowledged: the next
            assert second.heartbeat.sequence == first.heartbeat.sequence + 1
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
