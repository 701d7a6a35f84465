"""pnp.v1.Orchestrator over real gRPC: orders are durable, idempotent and well refused."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import AlreadyExists, BadInput, NotFound, Unavailable
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, order_pb2
from tests.conftest import RECIPES

BIKE = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()


async def test_an_acknowledged_order_is_already_committed(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        order = await client.submit_order(BIKE, "bike.yaml", "req-1")
    # Read the database file with a separate connection, as a crash-restart would.
    with sqlite3.connect(running_factory.db_path) as db:
        rows = db.execute("SELECT order_id, request_id FROM orders").fetchall()
    assert rows == [(order.order_id, "req-1")]


async def test_submit_answers_only_after_the_commit(running_factory):
    store = running_factory.factory.store
    commit_may_finish = threading.Event()
    original = store.add_order

    def slow_add_order(**kwargs):
        commit_may_finish.wait(timeout=10)
        return original(**kwargs)

    store.add_order = slow_add_order
    async with OrchestratorClient(running_factory.address) as client:
        submission = asyncio.create_task(client.submit_order(BIKE, "bike.yaml", "req-1"))
        await asyncio.sleep(0.3)
        assert not submission.done()  # no answer while the commit is pending
        commit_may_finish.set()
        order = await submission
    with sqlite3.connect(running_factory.db_path) as db:
        assert db.execute("SELECT order_id FROM orders").fetchall() == [(order.order_id,)]


async def test_an_order_committed_after_the_caller_gave_up_is_still_known(running_factory):
    store = running_factory.factory.store
    original = store.add_order

    def slow_add_order(**kwargs):
        time.sleep(0.5)
        return original(**kwargs)

    store.add_order = slow_add_order
    async with OrchestratorClient(running_factory.address, deadline=0.1) as client:
        with pytest.raises(Unavailable):
            await client.submit_order(BIKE, "bike.yaml", "req-1")
    await asyncio.sleep(0.8)
    [view] = running_factory.factory.orders()
    assert view.record.request_id == "req-1"  # listed and planned, not only stored


async def test_a_due_date_beyond_what_timestamps_hold_is_bad_input(running_factory):
    far = BIKE.replace("due: 2026-12-01T16:00:00Z", "due: 9999-12-31T23:30:00-01:00")
    assert far != BIKE
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(BadInput, match="due must be between"):
            await client.submit_order(far, "bike.yaml", "req-1")
        assert await client.list_orders() == []


async def test_an_empty_order_id_is_bad_input(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(BadInput, match="order_id"):
            await client.get_order("")


async def test_a_retried_submission_is_the_same_order(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        first = await client.submit_order(BIKE, "bike.yaml", "req-1")
        again = await client.submit_order(BIKE, "bike.yaml", "req-1")
        other = await client.submit_order(BIKE, "bike.yaml", "req-2")
        assert first.order_id == again.order_id != other.order_id
        assert len(await client.list_orders()) == 2


async def test_a_request_id_reused_for_another_recipe_is_refused(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        await client.submit_order(BIKE, "bike.yaml", "req-1")
        with pytest.raises(AlreadyExists, match="different recipe"):
            await client.submit_order(BIKE.replace("quantity: 4", "quantity: 5"), "b.yaml", "req-1")


async def test_a_bad_recipe_is_refused_with_file_and_line_and_nothing_is_stored(running_factory):
    bad = BIKE.replace("capability: joining.welding", "capability: 42")
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(BadInput) as refused:
            await client.submit_order(bad, "bike.yaml", "req-1")
        line = next(i for i, text in enumerate(bad.splitlines(), 1) if "capability: 42" in text)
        [violation] = refused.value.violations
        assert violation.location == f"bike.yaml:{line}"
        assert violation.field.endswith(".capability")
        assert await client.list_orders() == []
    with sqlite3.connect(running_factory.db_path) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone() == (0,)


async def test_the_raw_status_carries_bad_request_field_violations(running_factory):
    async with grpc.aio.insecure_channel(running_factory.address) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SubmitOrder(
                orchestrator_pb2.SubmitOrderRequest(
                    recipe_yaml="a: [", source="x.yaml", request_id="r"
                ),
                timeout=5,
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = error_from_rpc(refused.value)
    assert isinstance(error, BadInput) and error.violations[0].location.startswith("x.yaml:")


async def test_a_missing_request_id_is_refused(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(BadInput, match="request_id"):
            await client.submit_order(BIKE, "bike.yaml", "")


async def test_unknown_orders_and_modules_are_not_found(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(NotFound, match="ord-99999"):
            await client.get_order("ord-99999")
        with pytest.raises(NotFound, match="nope"):
            await client.get_module("nope")


async def test_a_cancelled_order_leaves_the_plan(running_factory):
    for kind, dock in [
        ("laser-cutter", "A1"),
        ("welding-cell", "A2"),
        ("paint-booth", "A3"),
        ("vision-inspection", "A4"),
    ]:
        await running_factory.plug_in(kind, dock)
    async with OrchestratorClient(running_factory.address) as client:
        order = await client.submit_order(BIKE, "bike.yaml", "req-1")
        assert (await client.get_plan()).assignments
        cancelled = await client.cancel_order(order.order_id, "c-1")
        assert cancelled.state == order_pb2.ORDER_STATE_ABORTED
        assert not (await client.get_plan()).assignments


async def test_health_reports_serving_for_each_service(running_factory):
    async with grpc.aio.insecure_channel(running_factory.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "pnp.v1.Orchestrator", "pnp.v1.ModuleRegistry"):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_exporting_an_unknown_order_is_not_found(running_factory):
    async with grpc.aio.insecure_channel(running_factory.address) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ExportOrderData(
                orchestrator_pb2.ExportOrderDataRequest(order_id="ord-99999"), timeout=5
            )
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert "ord-99999" in refused.value.details()
