"""Telemetry samples, stored per execution: the factory's own record of how a part was made.

Samples arrive in bursts from OPC UA subscriptions; the service buffers them and
writes a batch per transaction (one fsync per batch, not per sample).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.engine import Engine

from pnp.orchestrator.store import schema


@dataclass(frozen=True)
class TelemetrySample:
    execution_id: str
    module_id: str
    name: str
    time: datetime
    value: float


class TelemetryStore:
    def __init__(
        self,
        engine: Engine,
        writes: Callable[[], AbstractContextManager[Connection]] | None = None,
    ) -> None:
        self.engine = engine
        self._writes = writes or engine.begin

    def add(self, samples: list[TelemetrySample]) -> None:
        if not samples:
            return
        with self._writes() as connection:
            connection.execute(
                insert(schema.telemetry_samples),
                [
                    {
                        "execution_id": s.execution_id,
                        "module_id": s.module_id,
                        "name": s.name,
                        "time": s.time.isoformat(),
                        "value": s.value,
                    }
                    for s in samples
                ],
            )

    def of_executions(self, execution_ids: list[str]) -> list[TelemetrySample]:
        if not execution_ids:
            return []
        table = schema.telemetry_samples
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.execution_id.in_(execution_ids))
                .order_by(table.c.sample_id)
            )
            return [
                TelemetrySample(
                    r.execution_id, r.module_id, r.name, datetime.fromisoformat(r.time), r.value
                )
                for r in rows
            ]
