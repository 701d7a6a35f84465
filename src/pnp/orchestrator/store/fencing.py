"""The one door every write of the store goes through: a transaction that first checks
the leader's term (store/leadership.py).

Unarmed (``term`` None), it is a plain transaction: a store opened by a tool or a test
that owns its file. ``api/runtime.py`` arms it with the term it won before the factory
is built, so every write of a running orchestrator is fenced. A refused write raises
``Deposed`` and tells ``on_deposed`` (from whatever thread wrote), so the runtime steps
down at once instead of waiting for the next lease renewal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from pnp.orchestrator.errors import Deposed
from pnp.orchestrator.store.leadership import Leadership

log = logging.getLogger(__name__)


class WriteFence:
    def __init__(self, engine: Engine, leadership: Leadership) -> None:
        self.engine = engine
        self._leadership = leadership
        self.term: int | None = None
        self.on_deposed: Callable[[Deposed], None] = lambda _deposed: None
        self.deposed: Deposed | None = None

    def arm(self, term: int, on_deposed: Callable[[Deposed], None]) -> None:
        self.term = term
        self.on_deposed = on_deposed

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction, committed at the end of the block; ``Deposed`` (and
        nothing written) when this process no longer holds the term it was armed with."""
        with self.engine.begin() as connection:
            if self.term is not None:
                try:
                    self._leadership.check_term(connection, self.term)
                except Deposed as deposed:
                    if self.deposed is None:
                        self.deposed = deposed
                        log.error("write refused: %s", deposed.message)
                        self.on_deposed(deposed)
                    raise
            yield connection
