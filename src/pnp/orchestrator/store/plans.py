"""Plan versions: every plan the orchestrator made, as JSON, newest recoverable on restart.

The store keeps the plan as opaque JSON text (the planning layer owns its shape, see
planning/plan_codec.py); old versions beyond ``keep`` are pruned in the same
transaction, so the table stays bounded on a long-running factory.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.engine import Engine

from pnp.orchestrator.store import schema

KEEP_VERSIONS = 1000


@dataclass(frozen=True)
class StoredPlan:
    version: int
    created_at: datetime
    status: str
    plan_json: str


class PlanStore:
    def __init__(
        self,
        engine: Engine,
        keep: int = KEEP_VERSIONS,
        writes: Callable[[], AbstractContextManager[Connection]] | None = None,
    ) -> None:
        self.engine = engine
        self.keep = keep
        self._writes = writes or engine.begin

    def add(self, version: int, created_at: datetime, status: str, plan_json: str) -> None:
        with self._writes() as connection:
            connection.execute(
                insert(schema.plans).values(
                    version=version,
                    created_at=created_at.isoformat(),
                    status=status,
                    plan_json=plan_json,
                )
            )
            connection.execute(
                delete(schema.plans).where(schema.plans.c.version <= version - self.keep)
            )

    def latest(self) -> StoredPlan | None:
        with self.engine.connect() as connection:
            newest = connection.execute(select(func.max(schema.plans.c.version))).scalar()
        return None if newest is None else self.version(int(newest))

    def version(self, version: int) -> StoredPlan | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(schema.plans).where(schema.plans.c.version == version)
            ).first()
        if row is None:
            return None
        return StoredPlan(
            row.version, datetime.fromisoformat(row.created_at), row.status, row.plan_json
        )

    def versions(self) -> list[int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.plans.c.version).order_by("version"))
            return [row.version for row in rows]
