"""The order queries behind ListOrders' pages, on SQLite and PostgreSQL alike: keyset
pages newest first, and the bounded answer for clients that do not page."""

from __future__ import annotations

from pnp.orchestrator.service.order_book import OPEN_STATES
from pnp.orchestrator.service.order_pages import OrderPage, token_before
from pnp.orchestrator.store import Store
from tests.store.test_leadership import T0

STATES = ["Completed", "Running", "Aborted", "Closed", "AllowedToStart", "Completed"]


def _orders(store: Store) -> list[str]:
    return [
        store.add_order(
            request_id=f"r{n}", source="a.yaml", recipe_yaml="x", state=state, submitted_at=T0
        ).order_id
        for n, state in enumerate(STATES)
    ]


def test_pages_run_newest_first_below_the_token(store):
    ids = _orders(store)
    first = store.orders_before(None, 4)
    assert [o.order_id for _, o in first] == ids[:1:-1]
    below = store.orders_before(first[-1][0], 4)
    assert [o.order_id for _, o in below] == ids[1::-1]
    assert store.orders_before(below[-1][0], 4) == []


def test_a_page_says_whether_another_follows(store):
    ids = _orders(store)
    orders, token = OrderPage.of_request(4, "").select(store)
    assert ([o.order_id for o in orders], token != "") == (ids[:1:-1], True)
    rest, last = OrderPage.of_request(4, token).select(store)
    assert ([o.order_id for o in rest], last) == (ids[1::-1], "")
    assert OrderPage.of_request(0, token_before(1)).select(store) == ([], "")


def test_the_unpaged_answer_is_every_open_order_and_the_newest_closed_oldest_first(store):
    ids = _orders(store)
    recent = store.open_and_recent_orders(OPEN_STATES, closed=2)
    # Open: r1 (Running), r4 (AllowedToStart); the two newest closed: r3, r5.
    assert [o.order_id for o in recent] == [ids[1], ids[3], ids[4], ids[5]]
