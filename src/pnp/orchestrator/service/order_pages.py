"""ListOrders a page at a time (pnp.v1.Orchestrator.ListOrders): which stored orders a
request selects, and the token that goes on from there.

Pages run newest first, by submission number (keyset paging: the token holds the number
of the last order given, the next page starts below it), so orders submitted while a
client pages do not shift the pages it has yet to read, and a page costs the same
however much history lies behind it. A request with neither a page size nor a token is
what clients older than paging send: it gets every open order and the
``DEFAULT_CLOSED`` most recently submitted closed ones, oldest first as before, and no
token; bounded, however long the factory has run.
"""

from __future__ import annotations

from dataclasses import dataclass

from pnp.orchestrator.service.order_book import OPEN_STATES
from pnp.orchestrator.service.paging import (
    not_our_token,
    requested_size,
    token_key,
    write_token,
)
from pnp.orchestrator.store.database import Store, StoredOrder

DEFAULT_CLOSED = 100  # closed orders in the answer to an unpaged request
_TOKEN_PREFIX = "orders-before:"


@dataclass(frozen=True)
class OrderPage:
    size: int | None  # None: the unpaged default (open orders and the recent closed ones)
    before: int | None  # the submission number the page starts below (None: the newest)

    @classmethod
    def of_request(cls, page_size: int, page_token: str) -> OrderPage:
        """The page a request asks for; ``BadInput`` for a negative size or a token this
        server did not give."""
        size = requested_size(page_size, page_token)
        return cls(size, _read_token(page_token) if page_token else None)

    def select(self, store: Store) -> tuple[list[StoredOrder], str]:
        """The stored orders of this page, in the order to show them, and the token of
        the next page ("" when this is the last, or unpaged)."""
        if self.size is None:
            return store.open_and_recent_orders(OPEN_STATES, DEFAULT_CLOSED), ""
        found = store.orders_before(self.before, self.size + 1)  # one more: is there a next?
        page = found[: self.size]
        more = len(found) > self.size
        return [order for _, order in page], token_before(page[-1][0]) if more else ""


UNPAGED_ORDERS = OrderPage(None, None)  # a request with no page size or token


def token_before(seq: int) -> str:
    """The token of the page that starts below submission number ``seq``."""
    return write_token(_TOKEN_PREFIX, str(seq))


def _is_token_number(number: str) -> bool:
    return number.isascii() and number.isdigit() and len(number) <= 18


def _read_token(token: str) -> int:
    number = token_key(_TOKEN_PREFIX, token)
    # ASCII digits only ("²".isdigit() is true, int() refuses it), and few enough of
    # them for the database's 64-bit integers.
    if number is None or not _is_token_number(number):
        raise not_our_token(token)
    return int(number)
