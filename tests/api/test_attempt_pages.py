"""ListAttempts a page at a time, over real gRPC on a real SQLite history: newest first,
each attempt once (ties in start broken by execution id), narrowed to an order or a
module, a bounded answer for clients that do not page, bad paging input refused by name,
and `pnp history --limit`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.domain.recipe_loader import load_recipe
from pnp.orchestrator.errors import BadInput, NotFound
from pnp.orchestrator.service import attempt_pages
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredOperation
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from tests.cli.factory_scenes import run_pnp
from tests.conftest import start_factory
from tests.execution.test_executor_on_memory_modules import CUT, CUT_ONLY

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def history_of(db: Path, starts: list[tuple[int, str, AttemptState]]) -> tuple[str, list[str]]:
    """One open order whose attempts started ``minutes`` after T0 on ``module``, in
    ``state``, written straight to the store; returns the order id and the execution ids
    in the order given."""
    store = Store.open_sqlite(db)
    try:
        recipe = load_recipe(CUT_ONLY, "plate.yaml")
        order = store.add_order(
            request_id="history",
            source="plate.yaml",
            recipe_yaml=CUT_ONLY,
            state=OrderState.RUNNING.value,
            submitted_at=T0,
            operations=lambda order_id: StoredOperation.of_order(order_id, recipe),
        )
        [operation] = store.operations(order.order_id)
        execution_ids = []
        for n, (minutes, module_id, state) in enumerate(starts):
            execution_id = f"x-{n:03d}"
            store.attempts.add(
                Attempt(
                    execution_id=execution_id,
                    operation_id=operation.operation_id,
                    order_id=order.order_id,
                    module_id=module_id,
                    epoch=1,
                    capability=CUT,
                    parameters={},
                    units=1,
                    state=state,
                    started_at=T0 + timedelta(minutes=minutes),
                    ended_at=T0 + timedelta(minutes=minutes, seconds=30),
                )
            )
            execution_ids.append(execution_id)
        return order.order_id, execution_ids
    finally:
        store.close()


def failed_at(*minutes: int, module_id: str = "laser-a") -> list[tuple[int, str, AttemptState]]:
    return [(m, module_id, AttemptState.FAILED) for m in minutes]


@pytest.fixture
async def factory_with_history(tmp_path, request):
    """A running factory over ``history_of(request.param)``; yields (running, order id,
    execution ids)."""
    order_id, execution_ids = history_of(tmp_path / "pnp.db", request.param)
    running = await start_factory(tmp_path)
    try:
        yield running, order_id, execution_ids
    finally:
        await running.close()


async def _page(client: OrchestratorClient, size: int, token: str = "", **narrowed: str):
    request = orchestrator_pb2.ListAttemptsRequest(page_size=size, page_token=token, **narrowed)
    return await client._call("ListAttempts", request)


async def _every_page(client: OrchestratorClient, size: int, **narrowed: str) -> list[list[str]]:
    pages, token = [], ""
    while True:
        response = await _page(client, size, token, **narrowed)
        pages.append([a.execution_id for a in response.attempts])
        token = response.next_page_token
        if not token:
            return pages


# Five attempts; x-001 and x-002 started at the same moment (minute 3), one page apart.
FIVE = failed_at(1, 3, 3, 5, 7)


@pytest.mark.parametrize("factory_with_history", [FIVE], indirect=True)
async def test_pages_run_newest_first_each_attempt_once_even_when_starts_tie(
    factory_with_history,
):
    running, _, ids = factory_with_history
    async with OrchestratorClient(running.address) as client:
        pages = await _every_page(client, 2)
    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]


@pytest.mark.parametrize("factory_with_history", [FIVE], indirect=True)
async def test_a_page_exactly_as_long_as_what_is_left_is_the_last(factory_with_history):
    running, _, _ = factory_with_history
    async with OrchestratorClient(running.address) as client:
        page = await _page(client, 5)
    assert (len(page.attempts), page.next_page_token) == (5, "")


MIXED = [*failed_at(1, 2, 3), *failed_at(4, 5, module_id="press-b")]


@pytest.mark.parametrize("factory_with_history", [MIXED], indirect=True)
async def test_pages_narrow_to_a_module_or_an_order_and_an_unknown_order_is_not_found(
    factory_with_history,
):
    running, order_id, ids = factory_with_history
    async with OrchestratorClient(running.address) as client:
        of_press = await _every_page(client, 1, module_id="press-b")
        of_laser_in_order = await _every_page(client, 2, order_id=order_id, module_id="laser-a")
        with pytest.raises(NotFound):
            await _page(client, 2, order_id="ord-nobody")
    assert of_press == [[ids[4]], [ids[3]]]
    assert of_laser_in_order == [[ids[2], ids[1]], [ids[0]]]


@pytest.mark.parametrize("factory_with_history", [failed_at(*range(10))], indirect=True)
async def test_a_client_that_does_not_page_gets_what_is_held_and_the_most_recent(
    factory_with_history, monkeypatch
):
    running, order_id, ids = factory_with_history
    monkeypatch.setattr(attempt_pages, "DEFAULT_RECENT", 3)
    # The order is open, so its attempts are held in memory: all ten come back...
    async with grpc.aio.insecure_channel(running.address) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        open_order = await stub.ListAttempts(orchestrator_pb2.ListAttemptsRequest())
        await running.factory.cancel_order(order_id)  # ...once closed, 3 do
        closed = await stub.ListAttempts(orchestrator_pb2.ListAttemptsRequest())
        whole_order = await stub.ListAttempts(
            orchestrator_pb2.ListAttemptsRequest(order_id=order_id)
        )
    assert [a.execution_id for a in open_order.attempts] == ids  # oldest first, as before
    assert [a.execution_id for a in closed.attempts] == ids[-3:]
    assert closed.next_page_token == ""
    assert [a.execution_id for a in whole_order.attempts] == ids  # an order: all of it


def token_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("factory_with_history", [FIVE], indirect=True)
@pytest.mark.parametrize(
    ("size", "token", "field"),
    [
        (-1, "", "page_size"),
        (2, "not-a-token", "page_token"),
        (2, token_of("orders-before:3"), "page_token"),  # ListOrders' token
        (2, token_of("attempts-before:yesterday|x-001"), "page_token"),
        (2, token_of("attempts-before:2026-11-01T08:03:00|x-001"), "page_token"),  # no zone
    ],
)
async def test_bad_paging_input_is_refused_naming_the_field(
    factory_with_history, size, token, field
):
    running, _, _ = factory_with_history
    async with OrchestratorClient(running.address) as client:
        with pytest.raises(BadInput) as refused:
            await _page(client, size, token)
    assert [v.field for v in refused.value.violations] == [field]


@pytest.mark.parametrize("factory_with_history", [FIVE], indirect=True)
async def test_the_client_follows_every_page_and_the_limit_keeps_the_latest(
    factory_with_history, monkeypatch
):
    running, _, ids = factory_with_history
    monkeypatch.setattr("pnp.orchestrator.cli.client.ATTEMPTS_PAGE", 2)
    async with OrchestratorClient(running.address) as client:
        every = await client.every_attempt()
        latest = await client.every_attempt(limit=3)
    assert [a.execution_id for a in every.attempts] == ids  # oldest first
    assert [a.execution_id for a in latest.attempts] == ids[2:]


@pytest.mark.parametrize("factory_with_history", [FIVE], indirect=True)
async def test_pnp_history_limit_shows_the_latest_oldest_first(factory_with_history):
    running, _, ids = factory_with_history
    listed = await run_pnp(running.address, "history", "--limit", "2", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["execution_id"] for a in json.loads(listed.stdout)["attempts"]] == ids[3:]
    refused = await run_pnp(running.address, "history", "--limit", "0")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
