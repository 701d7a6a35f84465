"""ListOrders a page at a time, over real gRPC: newest first, each order once, pages that
stay put while orders arrive, a bounded answer for clients that do not page, and bad
paging input refused by name."""

from __future__ import annotations

import base64
import json

import grpc
import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.service import order_pages
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, order_pb2
from tests.cli.factory_scenes import run_pnp
from tests.conftest import RECIPES

BIKE = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()


async def _submit(client: OrchestratorClient, count: int, first: int = 0) -> list[str]:
    return [
        (await client.submit_order(BIKE, "bike.yaml", f"req-{n}")).order_id
        for n in range(first, first + count)
    ]


async def _page(client: OrchestratorClient, size: int, token: str = ""):
    request = orchestrator_pb2.ListOrdersRequest(page_size=size, page_token=token)
    return await client._call("ListOrders", request)


async def test_pages_run_newest_first_each_order_once_and_stay_put_as_orders_arrive(
    running_factory,
):
    async with OrchestratorClient(running_factory.address) as client:
        submitted = await _submit(client, 5)
        first = await _page(client, 2)
        assert [o.order_id for o in first.orders] == submitted[:2:-1]  # 5th, 4th
        await _submit(client, 1, first=5)  # arrives between pages: not on later ones
        second = await _page(client, 2, first.next_page_token)
        last = await _page(client, 2, second.next_page_token)
    assert [o.order_id for o in second.orders] == submitted[2:0:-1]
    assert ([o.order_id for o in last.orders], last.next_page_token) == ([submitted[0]], "")


async def test_a_page_exactly_as_long_as_what_is_left_is_the_last(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        await _submit(client, 2)
        page = await _page(client, 2)
    assert (len(page.orders), page.next_page_token) == (2, "")


async def test_the_client_follows_every_page_and_the_limit_keeps_the_newest(
    running_factory, monkeypatch
):
    monkeypatch.setattr("pnp.orchestrator.cli.client.ORDERS_PAGE", 2)
    async with OrchestratorClient(running_factory.address) as client:
        submitted = await _submit(client, 5)
        every = await client.list_orders()
        newest = await client.list_orders(limit=3)
    assert [o.order_id for o in every] == submitted  # oldest first, as `pnp orders` shows
    assert [o.order_id for o in newest] == submitted[2:]


async def test_a_client_that_does_not_page_gets_the_open_orders_and_the_newest_closed(
    running_factory, monkeypatch
):
    monkeypatch.setattr(order_pages, "DEFAULT_CLOSED", 2)
    async with OrchestratorClient(running_factory.address) as client:
        submitted = await _submit(client, 6)
        for n in (0, 2, 3, 5):  # closed: the oldest two of these are left out
            await client.cancel_order(submitted[n], f"cancel-{n}")
        async with grpc.aio.insecure_channel(running_factory.address) as channel:
            stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
            old_style = await stub.ListOrders(orchestrator_pb2.ListOrdersRequest())
    assert [o.order_id for o in old_style.orders] == [submitted[n] for n in (1, 3, 4, 5)]
    assert old_style.next_page_token == ""
    closed = {order_pb2.ORDER_STATE_ABORTED, order_pb2.ORDER_STATE_CLOSED}
    assert [o.state in closed for o in old_style.orders] == [False, True, False, True]


def token_with_number(number: str) -> str:
    """A token as this server writes them, around any text where the number goes."""
    text = base64.urlsafe_b64decode(order_pages.token_before(3)).decode()
    return base64.urlsafe_b64encode(f"{text.removesuffix('3')}{number}".encode()).decode()


@pytest.mark.parametrize(
    ("size", "token", "field"),
    [
        (-1, "", "page_size"),
        (2, "not-a-token", "page_token"),
        (2, order_pages.token_before(3)[:-4], "page_token"),  # a token cut short
        (2, token_with_number("²"), "page_token"),  # a digit to str.isdigit, not to int()
        (2, order_pages.token_before(10**30), "page_token"),  # beyond a 64-bit integer
    ],
)
async def test_bad_paging_input_is_refused_naming_the_field(running_factory, size, token, field):
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(BadInput) as refused:
            await _page(client, size, token)
    assert [v.field for v in refused.value.violations] == [field]


async def test_pnp_orders_limit_lists_the_newest_oldest_first(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        submitted = await _submit(client, 3)
    listed = await run_pnp(running_factory.address, "orders", "--limit", "2", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [o["order_id"] for o in json.loads(listed.stdout)["orders"]] == submitted[1:]
    refused = await run_pnp(running_factory.address, "orders", "--limit", "0")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
