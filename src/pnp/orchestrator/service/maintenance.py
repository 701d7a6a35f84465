"""The maintenance book: planned windows per module, in memory and in the store.

The plan keeper reads it for each planning input (a window is unavailability in the
plan) and the executor for each dispatch (nothing starts inside a window); it is read
from the store once at start, and each new window is stored before it counts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime

from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.store.twin_records import StoredMaintenance, TwinRecords

MAX_WINDOW_DAYS = 90


class MaintenanceBook:
    def __init__(self, records: TwinRecords) -> None:
        self._records = records
        self._windows: list[StoredMaintenance] = records.maintenance()

    def windows(self) -> dict[str, tuple[tuple[datetime, datetime], ...]]:
        by_module: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for window in self._windows:
            by_module[window.module_id].append((window.start, window.end))
        return {module_id: tuple(sorted(spans)) for module_id, spans in by_module.items()}

    def all(self) -> list[StoredMaintenance]:
        return list(self._windows)

    async def add(self, window: StoredMaintenance) -> StoredMaintenance:
        if not window.start < window.end:
            raise BadInput(
                "a maintenance window must end after it starts",
                [Violation("to", "must be later than --from")],
            )
        if (window.end - window.start).days > MAX_WINDOW_DAYS:
            raise BadInput(
                f"a maintenance window of more than {MAX_WINDOW_DAYS} days",
                [Violation("to", f"at most {MAX_WINDOW_DAYS} days after --from")],
            )
        stored = await asyncio.to_thread(self._records.add_maintenance, window)
        if stored not in self._windows:
            self._windows.append(stored)
        return stored
