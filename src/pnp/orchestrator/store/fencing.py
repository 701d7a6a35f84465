"""The one door every write of the store goes through: a transaction that first checks
the leader's term (store/leadership.py).

Unarmed (``term`` None), it is a plain transaction: a store opened by a tool or a test
that owns its file. ``api/runtime.py`` arms it with the term it won before the factory
is built, so every write of a running orchestrator is fenced. A refused write raises
``Deposed`` and tells ``on_deposed`` (from whatever thread wrote), so the runtime steps
down at once instead of waiting for the next lease renewal. Before it asks the
database, it asks the lease keeper whether the lease has run out by this process's own
clock (``lease_lapsed``): a leader frozen past its lease refuses its own writes.

A write the disk has no room for raises ``StorageFull`` (store/disk_full.py): the
transaction is rolled back whole, so the caller answers UNAVAILABLE having stored and
changed nothing, and the same write succeeds once space returns.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from pnp.orchestrator.errors import Deposed
from pnp.orchestrator.store.disk_full import storage_full
from pnp.orchestrator.store.leadership import Leadership

log = logging.getLogger(__name__)


class WriteFence:
    def __init__(self, engine: Engine, leadership: Leadership, where: str = "") -> None:
        self.engine = engine
        self._where = where or str(engine.url.database or engine.url)
        self._leadership = leadership
        self.term: int | None = None
        self.on_deposed: Callable[[Deposed], None] = lambda _deposed: None
        self.deposed: Deposed | None = None
        # Why this process's own count of its lease says it has run out (None: it has
        # not): a leader that wakes from a freeze learns it here before it asks anyone.
        self.lease_lapsed: Callable[[], str | None] = lambda: None

    def arm(
        self,
        term: int,
        on_deposed: Callable[[Deposed], None],
        lease_lapsed: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.term = term
        self.on_deposed = on_deposed
        self.lease_lapsed = lease_lapsed

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction, committed at the end of the block; ``Deposed`` (and
        nothing written) when this process no longer holds the term it was armed with;
        ``StorageFull`` (and nothing written) when the disk has no room for it."""
        if self.term is not None:
            lapsed = self.lease_lapsed()
            if lapsed is not None:
                self._refuse(Deposed(f"this orchestrator no longer leads: {lapsed}"))
        try:
            with self.engine.begin() as connection:
                if self.term is not None:
                    try:
                        self._leadership.check_term(connection, self.term)
                    except Deposed as deposed:
                        self._refuse(deposed)
                yield connection
        except (DBAPIError, sqlite3.Error) as error:
            full = storage_full(error, self._where)
            if full is None:
                raise
            log.warning("write refused: %s", full.message)
            raise full from error

    def _refuse(self, deposed: Deposed) -> None:
        log.error("write refused: %s", deposed.message)
        if self.deposed is None:
            self.deposed = deposed
            self.on_deposed(deposed)
        raise deposed
