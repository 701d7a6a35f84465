"""The CLI's client against a server older than paging (which ignores page_size and
page_token and answers everything, oldest first, in one response): `pnp orders` and
`pnp history` show the same as against a paging server, and --limit still keeps the
newest. The old server is a real grpc.aio server answering as that version did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.v1 import attempt_pb2, orchestrator_pb2, orchestrator_pb2_grpc, order_pb2
from tests.loopback_grpc import serving_on_loopback

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
ORDER_IDS = [f"ord-{n:05d}" for n in (98, 99, 100)] + ["ord-100000"]
EXECUTION_IDS = [f"x-{n}" for n in range(5)]


class BeforePaging(orchestrator_pb2_grpc.OrchestratorServicer):
    """ListOrders and ListAttempts as they answered before paging: everything, oldest
    first, no token, whatever the request asks."""

    async def ListOrders(self, request, context):
        return orchestrator_pb2.ListOrdersResponse(
            orders=[order_pb2.Order(order_id=order_id) for order_id in ORDER_IDS]
        )

    async def ListAttempts(self, request, context):
        attempts = []
        for n, execution_id in enumerate(EXECUTION_IDS):
            attempt = attempt_pb2.Attempt(execution_id=execution_id)
            attempt.started_at.FromDatetime(T0 + timedelta(minutes=n))
            attempts.append(attempt)
        return orchestrator_pb2.ListAttemptsResponse(attempts=attempts)


@asynccontextmanager
async def server_before_paging() -> AsyncIterator[str]:
    async with serving_on_loopback(
        lambda server: orchestrator_pb2_grpc.add_OrchestratorServicer_to_server(
            BeforePaging(), server
        )
    ) as address:
        yield address


async def test_orders_come_oldest_first_and_the_limit_keeps_the_newest():
    async with server_before_paging() as address, OrchestratorClient(address) as client:
        every = await client.list_orders()
        newest = await client.list_orders(limit=2)
    assert [o.order_id for o in every] == ORDER_IDS  # ord-100000 after ord-00100
    assert [o.order_id for o in newest] == ORDER_IDS[-2:]


async def test_attempts_come_oldest_first_and_the_limit_keeps_the_latest():
    async with server_before_paging() as address, OrchestratorClient(address) as client:
        every = await client.every_attempt()
        latest = await client.every_attempt(limit=2)
    assert [a.execution_id for a in every.attempts] == EXECUTION_IDS
    assert [a.execution_id for a in latest.attempts] == EXECUTION_IDS[-2:]
