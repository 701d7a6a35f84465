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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pnp.orchestrator.domain.attempts import Attempt
from pnp.orchestrator.service.ledger import AttemptLedger
from pnp.orchestrator.service.paging import (
    DEFAULT_PAGE_SIZE,
    not_our_token,
    requested_size,
    token_key,
    write_token,
)

DEFAULT_RECENT = 500  # settled attempts in the answer to an unpaged request for all
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
        size = requested_size(page_size, page_token)
        return cls(size, _read_token(page_token) if page_token else None)

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
    return write_token(_TOKEN_PREFIX, key)


def _read_token(token: str) -> tuple[datetime, str]:
    started, _, execution_id = (token_key(_TOKEN_PREFIX, token) or "").partition(_TOKEN_SEPARATOR)
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        raise not_our_token(token) from None
    if moment.tzinfo is None:
        raise not_our_token(token)
    return moment.astimezone(UTC), execution_id  # starts are stored in UTC: like with like
