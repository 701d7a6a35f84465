"""ListAttempts a page at a time (pnp.v1.Orchestrator.ListAttempts): which attempts a
request selects, and the token that goes on from there.

Pages run newest first, by start and then execution id (keyset paging: the token holds
the last attempt given, the next page starts below it), so a page costs the same however
long the factory has run, and attempts started while a client pages do not shift the
pages it has yet to read. A request with neither a page size nor a token is what
clients older than paging send (and what `pnp status` and the console ask for): with an
order it gets the whole order, as before; without one, the attempts held in memory
(those of open orders and any in flight) and the ``DEFAULT_RECENT`` that started most
recently, oldest first; bounded, where it used to be every attempt ever made.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pnp.orchestrator.domain.attempts import Attempt
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.service.ledger import AttemptLedger

DEFAULT_RECENT = 500  # settled attempts in the answer to an unpaged request for all
DEFAULT_PAGE_SIZE = 100  # a page_token without a page_size
MAX_PAGE_SIZE = 1000  # larger page sizes are served as this
_TOKEN_PREFIX = "attempts-before:"
_TOKEN_SEPARATOR = "|"  # no execution id or ISO time holds one


class AttemptPages(Protocol):
    """The store's keyset read (``store.history.HistoryStore.attempts_before``)."""

    def attempts_before(
        self,
        before: tuple[datetime, str] | None,
        limit: int,
        *,
        order_id: str = "",
        module_id: str = "",
    ) -> list[Attempt]: ...


@dataclass(frozen=True)
class AttemptPage:
    size: int | None  # None: unpaged (the whole order, or what is held and the recent)
    before: tuple[datetime, str] | None  # the page starts below this (None: the newest)

    @classmethod
    def of_request(cls, page_size: int, page_token: str) -> AttemptPage:
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

    async def select(
        self, ledger: AttemptLedger, pages: AttemptPages, *, module_id: str = ""
    ) -> tuple[list[Attempt], str]:
        """A page over every order (newest first) and the token of the next page ("" on
        the last), or unpaged: what is held and the most recent (oldest first, no token).
        What memory knows newer than the store (a change not written yet) wins."""
        if self.size is None:
            recent = await asyncio.to_thread(
                pages.attempts_before, None, DEFAULT_RECENT, module_id=module_id
            )
            chosen = {a.execution_id: a for a in recent}
            for attempt in ledger:
                if not module_id or attempt.module_id == module_id:
                    chosen[attempt.execution_id] = attempt
            return sorted(chosen.values(), key=lambda a: (a.started_at, a.execution_id)), ""
        found = await asyncio.to_thread(
            pages.attempts_before, self.before, self.size + 1, module_id=module_id
        )
        return _page_of(ledger, found, self.size)

    async def select_of_order(
        self, ledger: AttemptLedger, pages: AttemptPages, order_id: str, *, module_id: str = ""
    ) -> tuple[list[Attempt], str]:
        """A page of one order's attempts (newest first) and the token of the next."""
        found = await asyncio.to_thread(
            pages.attempts_before,
            self.before,
            (self.size or DEFAULT_PAGE_SIZE) + 1,
            order_id=order_id,
            module_id=module_id,
        )
        return _page_of(ledger, found, self.size or DEFAULT_PAGE_SIZE)


UNPAGED = AttemptPage(None, None)  # what a request with no page size or token asks for


def _page_of(ledger: AttemptLedger, found: list[Attempt], size: int) -> tuple[list[Attempt], str]:
    page = [ledger.held(a.execution_id) or a for a in found[:size]]
    more = len(found) > size  # one more was asked for: is there a next page?
    return page, token_after(page[-1]) if more else ""


def token_after(attempt: Attempt) -> str:
    """The token of the page that starts below ``attempt``."""
    key = f"{attempt.started_at.isoformat()}{_TOKEN_SEPARATOR}{attempt.execution_id}"
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{key}".encode()).decode()


def _read_token(token: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    started, _, execution_id = text.removeprefix(_TOKEN_PREFIX).partition(_TOKEN_SEPARATOR)
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(UTC)  # starts are stored in UTC: compare like with like
    if not text.startswith(_TOKEN_PREFIX) or moment is None or moment.tzinfo is None:
        raise BadInput(
            f"page_token {token!r} is not one this server gave",
            [Violation("page_token", "send back a next_page_token as it came, or none")],
        )
    return moment, execution_id
