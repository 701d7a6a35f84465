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

import base64
import binascii
from dataclasses import dataclass

from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.service.order_book import OPEN_STATES
from pnp.orchestrator.store.database import Store, StoredOrder

DEFAULT_CLOSED = 100  # closed orders in the answer to an unpaged request
DEFAULT_PAGE_SIZE = 100  # a page_token without a page_size
MAX_PAGE_SIZE = 1000  # larger page sizes are served as this
_TOKEN_PREFIX = "orders-before:"


@dataclass(frozen=True)
class OrderPage:
    size: int | None  # None: the unpaged default (open orders and the recent closed ones)
    before: int | None  # the submission number the page starts below (None: the newest)

    @classmethod
    def of_request(cls, page_size: int, page_token: str) -> OrderPage:
        """The page a request asks for; ``BadInput`` for a negative size or a token this
        server did not give."""
        if page_size < 0:
            raise BadInput(
                f"page_size {page_size} is negative",
                [Violation("page_size", "must be 0 (the default) or more")],
            )
        if not page_token:
            return cls(min(page_size, MAX_PAGE_SIZE) if page_size else None, None)
        return cls(min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), _read_token(page_token))

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
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{seq}".encode()).decode()


def _is_token_number(number: str) -> bool:
    return number.isascii() and number.isdigit() and len(number) <= 18


def _read_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    number = text.removeprefix(_TOKEN_PREFIX)
    # ASCII digits only ("²".isdigit() is true, int() refuses it), and few enough of
    # them for the database's 64-bit integers.
    if not text.startswith(_TOKEN_PREFIX) or not _is_token_number(number):
        raise BadInput(
            f"page_token {token!r} is not one this server gave",
            [Violation("page_token", "send back a next_page_token as it came, or none")],
        )
    return int(number)
