"""The attempt ledger: every attempt, in memory and in the store, with one owner.

The executor writes it (an attempt is recorded before its Start is sent, and updated
as the module answers); the planner reads operation progress from it, the API lists
attempts and counts done operations from it. Nobody else keeps attempts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
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


class AttemptLedger:
    def __init__(self, records: AttemptRecords) -> None:
        self._records = records
        self._attempts: dict[str, Attempt] = {}
        self._active_on: dict[str, str] = {}  # module id -> execution id active there
        for attempt in records.all():
            self._put(attempt)

    # -- reading ----------------------------------------------------------------------

    def __iter__(self) -> Iterator[Attempt]:
        return iter(list(self._attempts.values()))

    def __len__(self) -> int:
        return len(self._attempts)

    def get(self, execution_id: str) -> Attempt | None:
        return self._attempts.get(execution_id)

    def active(self) -> list[Attempt]:
        return [a for a in self._attempts.values() if a.state.is_active]

    def busy_modules(self) -> set[str]:
        """Modules with an attempt starting or running."""
        return {a.module_id for a in self._attempts.values() if a.state.is_active}

    def active_on(self, module_id: str) -> str | None:
        """The execution id active on the module, if any."""
        return self._active_on.get(module_id)

    def progress(self) -> dict[str, OperationProgress]:
        """Per operation id, where it stands (what planning and dispatch go by)."""
        return progress_of(self._attempts.values())

    def of_order(self, order_id: str = "") -> list[Attempt]:
        """An order's attempts (all, for ""), oldest first."""
        chosen = [a for a in self._attempts.values() if not order_id or a.order_id == order_id]
        return sorted(chosen, key=lambda a: (a.started_at, a.execution_id))

    def of_operation(self, operation_id: str) -> list[Attempt]:
        """An operation's attempts, oldest first."""
        chosen = [a for a in self._attempts.values() if a.operation_id == operation_id]
        return sorted(chosen, key=lambda a: (a.started_at, a.execution_id))

    def done_operations(self, order_id: str) -> tuple[int, datetime | None]:
        """How many of the order's operations completed, and when the last one ended."""
        done = [
            a
            for a in self._attempts.values()
            if a.order_id == order_id and a.state is AttemptState.COMPLETE
        ]
        ends = [a.ended_at for a in done if a.ended_at is not None]
        return len({a.operation_id for a in done}), max(ends, default=None)

    # -- writing ----------------------------------------------------------------------

    async def record(self, attempt: Attempt) -> None:
        """A new attempt: stored first (after a crash, its id is what we ask about)."""
        await asyncio.to_thread(self._records.add, attempt)
        self._put(attempt)

    async def update(self, attempt: Attempt) -> None:
        """A changed attempt: known here at once, then stored."""
        self._put(attempt)
        await asyncio.to_thread(self._records.update, attempt)

    def _put(self, attempt: Attempt) -> None:
        self._attempts[attempt.execution_id] = attempt
        if attempt.state.is_active:
            self._active_on[attempt.module_id] = attempt.execution_id
        elif self._active_on.get(attempt.module_id) == attempt.execution_id:
            del self._active_on[attempt.module_id]
