"""The order book: open orders in memory, closed ones in the store, read when asked.

Planning, dispatch and settlement only ever need open orders, so only those are parsed
and held; a takeover therefore costs the open orders, not the factory's whole history.
A closed order (completed, closed, aborted) is read back on demand (``pnp order
show``, exports, the console) and kept in a small cache of recently used ones, so
memory stays flat however many orders the factory has finished.

Reads that may touch the store come in two forms: ``record`` (synchronous, for
callers already off the loop or content to wait one indexed row) and ``load_closed``
(plain store and parse work, no shared state: what the factory runs in a thread).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Iterable

from pnp.orchestrator.domain.operations import OperationSpec, expand_order
from pnp.orchestrator.domain.orders import OrderRecord, OrderState
from pnp.orchestrator.domain.recipe_loader import reload_recipe
from pnp.orchestrator.errors import BadInput, NotFound
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredOrder
from pnp.orchestrator.store.history import HistoryStore

log = logging.getLogger(__name__)

CLOSED_CACHE = 256  # recently read closed orders kept parsed
OPEN_STATES = tuple(state.value for state in OrderState if state.is_open)


class OrderBook:
    def __init__(self, store: Store, history: HistoryStore) -> None:
        self._store = store
        self._history = history
        self._open: dict[str, OrderRecord] = {}
        self._operations: dict[str, dict[str, OperationSpec]] = {}  # open orders only
        self._closed: OrderedDict[str, OrderRecord] = OrderedDict()
        for stored in history.orders_in(OPEN_STATES):
            record = _readable(stored)
            if record is not None:
                self._open[record.order_id] = record

    # -- open orders (memory only) ------------------------------------------------------

    def open_records(self) -> list[OrderRecord]:
        return list(self._open.values())

    def open_ids(self) -> frozenset[str]:
        return frozenset(self._open)

    def is_open(self, order_id: str) -> bool:
        return order_id in self._open

    def operations_of(self, order_id: str) -> dict[str, OperationSpec]:
        """The order's operations by id; expanded once per open order, on the fly for a
        closed one (it is not dispatched any more)."""
        cached = self._operations.get(order_id)
        if cached is not None:
            return cached
        record = self.record(order_id)
        operations = {op.operation_id: op for op in expand_order(order_id, record.recipe)}
        if record.order_id in self._open:
            self._operations[order_id] = operations
        return operations

    def add(self, record: OrderRecord) -> None:
        """A newly accepted order (stored and committed already)."""
        if record.state.is_open:
            self._open[record.order_id] = record
        else:
            self._remember_closed(record)

    def set_state(self, order_id: str, state: OrderState) -> OrderRecord:
        """The order moved on (stored already): a closed order leaves memory."""
        record = self.record(order_id)
        changed = dataclasses.replace(record, state=state)
        if state.is_open:
            self._open[order_id] = changed
        else:
            self._open.pop(order_id, None)
            self._operations.pop(order_id, None)
            self._remember_closed(changed)
        return changed

    # -- any order ----------------------------------------------------------------------

    def cached(self, order_id: str) -> OrderRecord | None:
        """The order if it is held in memory (open, or closed and read lately)."""
        record = self._open.get(order_id)
        if record is None:
            record = self._closed.get(order_id)
            if record is not None:
                self._closed.move_to_end(order_id)
        return record

    def record(self, order_id: str) -> OrderRecord:
        """Any order; a closed one not read lately is read from the store now."""
        record = self.cached(order_id)
        if record is None:
            record = self.load_closed(order_id)
            self._remember_closed(record)
        return record

    def load_closed(self, order_id: str) -> OrderRecord:
        """Reads a closed order from the store (no state of the book is touched: safe in
        a worker thread); NotFound for an unknown or unreadable order."""
        stored = self._store.order(order_id)
        record = _readable(stored) if stored is not None else None
        if record is None:
            raise NotFound(f"no order {order_id!r}; `pnp orders` lists them")
        return record

    def load_many(self, stored: Iterable[StoredOrder]) -> list[OrderRecord]:
        """Parses stored orders (thread-safe, as ``load_closed``); unreadable ones are
        left out (and logged)."""
        return [record for s in stored if (record := _readable(s)) is not None]

    def closed_cached(self) -> dict[str, OrderRecord]:
        """A copy of the closed orders held parsed (to read alongside the store)."""
        return dict(self._closed)

    def remember(self, records: Iterable[OrderRecord]) -> None:
        for record in records:
            if record.order_id not in self._open:
                self._remember_closed(record)

    def _remember_closed(self, record: OrderRecord) -> None:
        self._closed[record.order_id] = record
        self._closed.move_to_end(record.order_id)
        while len(self._closed) > CLOSED_CACHE:
            self._closed.popitem(last=False)


def _readable(stored: StoredOrder) -> OrderRecord | None:
    try:
        recipe = reload_recipe(stored.recipe_yaml, stored.source)
    except BadInput as unreadable:
        # Rules tightened since it was accepted: keep it in the store, untouched, and
        # say so, rather than refuse to start the factory.
        log.error("order %s no longer validates; set aside: %s", stored.order_id, unreadable)
        return None
    return OrderRecord(
        order_id=stored.order_id,
        request_id=stored.request_id,
        source=stored.source,
        recipe_yaml=stored.recipe_yaml,
        recipe=recipe,
        state=OrderState(stored.state),
        submitted_at=stored.submitted_at,
    )
