"""What a status view reads does not grow with history: `pnp status` and the console
show the open orders and the most recent closed ones (as an unpaged ListOrders answers),
and start their event tail at the latest events instead of replaying the whole log.
Real gRPC, a real SQLite store."""

from __future__ import annotations

import grpc

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.cli.status_commands import snapshot_of
from pnp.orchestrator.service import order_pages
from pnp.orchestrator.web.documents import snapshot
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from tests.api.test_order_pages import _submit


async def test_status_and_the_console_show_open_orders_and_the_most_recent_closed(
    running_factory, monkeypatch
):
    monkeypatch.setattr(order_pages, "DEFAULT_CLOSED", 1)
    async with OrchestratorClient(running_factory.address) as client:
        submitted = await _submit(client, 4)
        for n in (0, 1):  # closed: the older of the two is left out
            await client.cancel_order(submitted[n], f"cancel-{n}")
        cli_view = await snapshot_of(client, [])
    console_view = await snapshot(running_factory.factory)
    expected = [submitted[n] for n in (1, 2, 3)]
    assert [o.order_id for o in cli_view.orders] == expected
    assert [o.order_id for o in console_view.orders] == expected


async def test_an_event_tail_starts_at_the_latest_events(running_factory):
    events = running_factory.factory.events
    async with OrchestratorClient(running_factory.address) as client:
        await _submit(client, 3)
        async with grpc.aio.insecure_channel(running_factory.address) as channel:
            stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
            # The factory may log more (a plan) while the stream opens: the tail is the
            # two latest as of then, somewhere between these two readings.
            before = events.last_sequence
            stream = stub.WatchEvents(orchestrator_pb2.WatchEventsRequest(tail=2))
            first_two = [(await stream.read()).event.sequence for _ in range(2)]
            after = events.last_sequence
            stream.cancel()
            whole = stub.WatchEvents(orchestrator_pb2.WatchEventsRequest())
            first_of_whole = (await whole.read()).event.sequence
            whole.cancel()
    assert before > 2
    assert first_two[1] == first_two[0] + 1
    assert before - 1 <= first_two[0] and first_two[1] <= after
    assert first_of_whole == 1  # without a tail, the whole log as before
