"""The attempt ledger: the attempts that can still change, in memory; all, in the store.

The executor writes it (an attempt is recorded before its Start is sent, and updated
as the module answers); the planner reads operation progress from it, the API lists
attempts and counts done operations from it. Nobody else keeps attempts.

Memory holds only what dispatch and settlement work from: every attempt of an open
order (its operations' progress, where earlier tries failed), every attempt still
starting or running (an order cancelled under it included), and those the executor
pins while it may still reclaim them (failed with a lost module that may come back).
Everything else is history: it stays in the store and is read from there when asked,
so memory does not grow with the factory's age and a takeover loads only the open
part.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Protocol

from pnp.orchestrator.domain.attempts import (
    Attempt,
    AttemptState,
    OperationProgress,
    progress_of,
)


class AttemptRecords(Protocol):
    """Where attempts are persisted (``store.attempts``)."""

    def add(self, attempt: Attempt) -> None: ...

    def update(self, attempt: Attempt) -> None: ...

    def all(self) -> list[Attempt]: ...

    def of_order(self, order_id: str) -> list[Attempt]: ...


class AttemptHistory(Protocol):
    """Reads of settled attempts (``store.history.HistoryStore``)."""

    def attempts_of_operation(self, operation_id: str) -> list[Attempt]: ...

    def attempt(self, execution_id: str) -> Attempt | None: ...

    def done_operations(
        self, order_ids: Iterable[str] | None = None
    ) -> dict[str, tuple[int, datetime | None]]: ...


class AttemptLedger:
    def __init__(
        self,
        records: AttemptRecords,
        history: AttemptHistory,
        *,
        order_is_open: Callable[[str], bool],
        resumed: Iterable[Attempt] = (),
    ) -> None:
        """``resumed``: what a (re)start takes over from the store (the open orders'
        attempts and those in flight); ``order_is_open`` says which orders' attempts
        stay in memory once settled."""
        self._records = records
        self._history = history
        self._order_is_open = order_is_open
        self._attempts: dict[str, Attempt] = {}
        self._of_order: dict[str, set[str]] = {}  # order id -> execution ids held
        self._active_on: dict[str, str] = {}  # module id -> execution id active there
        self._pinned: set[str] = set()
        for attempt in resumed:
            self._put(attempt)

    # -- reading what is held ----------------------------------------------------------

    def __iter__(self) -> Iterator[Attempt]:
        """The attempts held in memory (see the module's docstring), not the history."""
        return iter(list(self._attempts.values()))

    def __len__(self) -> int:
        return len(self._attempts)

    def held(self, execution_id: str) -> Attempt | None:
        """The attempt if it is held in memory (newer there than the store, perhaps)."""
        return self._attempts.get(execution_id)

    def get(self, execution_id: str) -> Attempt | None:
        """Any attempt: held ones at once, a settled one from the store."""
        held = self._attempts.get(execution_id)
        return held if held is not None else self._history.attempt(execution_id)

    def active(self) -> list[Attempt]:
        return [a for a in self._attempts.values() if a.state.is_active]

    def busy_modules(self) -> set[str]:
        """Modules with an attempt starting or running."""
        return set(self._active_on)

    def active_on(self, module_id: str) -> str | None:
        """The execution id active on the module, if any."""
        return self._active_on.get(module_id)

    def progress(self) -> dict[str, OperationProgress]:
        """Per operation id of the open orders, where it stands (what planning and
        dispatch go by)."""
        return progress_of(self._attempts.values())

    # -- reading history --------------------------------------------------------------

    def of_order(self, order_id: str = "") -> list[Attempt]:
        """An order's attempts (all, for ""), oldest first; reads the store unless the
        order is open (synchronous: see ``stored``/``merged`` for the split form)."""
        if order_id and self._order_is_open(order_id):
            return _oldest_first(self._held_of(order_id))
        return self.merged(self.stored(order_id), order_id)

    def stored(self, order_id: str = "") -> list[Attempt]:
        """The store's attempts of the order (all, for ""): touches no memory, so it may
        run in a worker thread."""
        return self._records.of_order(order_id) if order_id else self._records.all()

    def merged(self, stored: Iterable[Attempt], order_id: str = "") -> list[Attempt]:
        """``stored`` with what memory knows newer (a change not written yet), oldest
        first."""
        chosen = {a.execution_id: a for a in stored}
        held = self._held_of(order_id) if order_id else self._attempts.values()
        for attempt in held:
            chosen[attempt.execution_id] = attempt
        return _oldest_first(chosen.values())

    async def of_operation(self, operation_id: str, order_id: str) -> list[Attempt]:
        """An operation's attempts, oldest first (from the store unless its order is open)."""
        if self._order_is_open(order_id):
            held = self._held_of(order_id)
            return _oldest_first(a for a in held if a.operation_id == operation_id)
        stored = await asyncio.to_thread(self._history.attempts_of_operation, operation_id)
        return [a for a in self.merged(stored, order_id) if a.operation_id == operation_id]

    def done_operations(self, order_id: str) -> tuple[int, datetime | None]:
        """How many of the order's operations completed, and when the last one ended."""
        if not self._order_is_open(order_id):
            return self._history.done_operations([order_id]).get(order_id, (0, None))
        done = [a for a in self._held_of(order_id) if a.state is AttemptState.COMPLETE]
        ends = [a.ended_at for a in done if a.ended_at is not None]
        return len({a.operation_id for a in done}), max(ends, default=None)

    def _held_of(self, order_id: str) -> list[Attempt]:
        return [self._attempts[x] for x in self._of_order.get(order_id, ())]

    # -- writing ----------------------------------------------------------------------

    async def record(self, attempt: Attempt) -> None:
        """A new attempt: stored first (after a crash, its id is what we ask about)."""
        await asyncio.to_thread(self._records.add, attempt)
        self._put(attempt)

    async def update(self, attempt: Attempt) -> None:
        """A changed attempt: stored, then known here. A write refused (a full disk)
        changes nothing, so the executor's next pass decides it again and stores it
        then; known first, a refused change would stay in memory only, and be lost from
        the history once its order closed."""
        await asyncio.to_thread(self._records.update, attempt)
        self._put(attempt)

    def pin(self, execution_id: str) -> None:
        """Keep this attempt in memory even once its order closes (until ``unpin``)."""
        self._pinned.add(execution_id)

    def unpin(self, execution_id: str) -> None:
        self._pinned.discard(execution_id)
        attempt = self._attempts.get(execution_id)
        if attempt is not None and not self._kept(attempt):
            self._drop(attempt)

    def order_closed(self, order_id: str) -> None:
        """The order completed or was aborted: its settled attempts become history."""
        for attempt in self._held_of(order_id):
            if not self._kept(attempt):
                self._drop(attempt)

    def _kept(self, attempt: Attempt) -> bool:
        return (
            attempt.state.is_active
            or attempt.execution_id in self._pinned
            or self._order_is_open(attempt.order_id)
        )

    def _put(self, attempt: Attempt) -> None:
        if attempt.state.is_active:
            self._active_on[attempt.module_id] = attempt.execution_id
        elif self._active_on.get(attempt.module_id) == attempt.execution_id:
            del self._active_on[attempt.module_id]
        if self._kept(attempt):
            self._attempts[attempt.execution_id] = attempt
            self._of_order.setdefault(attempt.order_id, set()).add(attempt.execution_id)
        elif attempt.execution_id in self._attempts:
            self._drop(attempt)

    def _drop(self, attempt: Attempt) -> None:
        del self._attempts[attempt.execution_id]
        held = self._of_order.get(attempt.order_id)
        if held is not None:
            held.discard(attempt.execution_id)
            if not held:
                del self._of_order[attempt.order_id]


def _oldest_first(attempts: Iterable[Attempt]) -> list[Attempt]:
    return sorted(attempts, key=lambda a: (a.started_at, a.execution_id))
