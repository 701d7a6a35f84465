"""The store's side of the digital twin: the history metering reads, and imported passports.

Reads only, except ``add_passport``; everything is synchronous (run it off the loop).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.engine import Engine

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.store import schema
from pnp.orchestrator.store.attempt_rows import attempt_of

SETTLED = (AttemptState.COMPLETE.value, AttemptState.FAILED.value)

DRAIN_EVENT = "module.draining"
POWER_CHANNEL = "PowerKw"


@dataclass(frozen=True)
class StoredDrain:
    module_id: str
    at: datetime


@dataclass(frozen=True)
class StoredPower:
    execution_id: str
    time: datetime
    kilowatts: float


@dataclass(frozen=True)
class StoredChannel:
    execution_id: str
    name: str
    time: datetime
    value: float


@dataclass(frozen=True)
class StoredPassport:
    request_id: str
    module_id: str
    vendor: str
    serial: str
    signer: str
    issuer: str
    imported_at: datetime
    signed_json: str


@dataclass(frozen=True)
class StoredMaintenance:
    request_id: str
    module_id: str
    start: datetime
    end: datetime
    reason: str
    created_at: datetime


class TwinRecords:
    def __init__(
        self,
        engine: Engine,
        writes: Callable[[], AbstractContextManager[Connection]] | None = None,
    ) -> None:
        self.engine = engine
        # Writes go through the leader's fence (store/fencing.py) when there is one.
        self._writes = writes or engine.begin

    def drains(self) -> list[StoredDrain]:
        """Every drain request the event log recorded, oldest first."""
        table = schema.events
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.subject, table.c.time)
                .where(table.c.kind == DRAIN_EVENT)
                .order_by(table.c.sequence)
            )
            return [StoredDrain(r.subject, datetime.fromisoformat(r.time)) for r in rows]

    def settled_ends(self, module_id: str, first: int, last: int) -> tuple[list[Attempt], int]:
        """The module's settled executions (completed or failed, with an end), by end:
        all of them when there are at most ``first + last``, else the ``first`` that
        ended first and the ``last`` that ended last; and how many there are. What a
        health score reads (a baseline and a recent window), in three indexed queries
        however long the module has worked."""
        attempts = schema.attempts
        settled = (
            attempts.c.module_id == module_id,
            attempts.c.state.in_(SETTLED),
            attempts.c.ended_at.is_not(None),
        )
        by_end = (attempts.c.ended_at, attempts.c.execution_id)
        with self.engine.connect() as connection:
            count = connection.execute(select(func.count()).where(*settled)).scalar_one()
            if count <= first + last:
                rows = list(connection.execute(select(attempts).where(*settled).order_by(*by_end)))
            else:
                rows = [
                    *connection.execute(
                        select(attempts).where(*settled).order_by(*by_end).limit(first)
                    ),
                    *reversed(
                        list(
                            connection.execute(
                                select(attempts)
                                .where(*settled)
                                .order_by(*(column.desc() for column in by_end))
                                .limit(last)
                            )
                        )
                    ),
                ]
        return [attempt_of(row) for row in rows], count

    def power(self, execution_ids: list[str]) -> list[StoredPower]:
        """The PowerKw readings recorded during these executions."""
        return [
            StoredPower(c.execution_id, c.time, c.value)
            for c in self.channels(execution_ids, (POWER_CHANNEL,))
        ]

    def channels(self, execution_ids: list[str], names: tuple[str, ...]) -> list[StoredChannel]:
        """The readings of these telemetry channels recorded during these executions."""
        table = schema.telemetry_samples
        found: list[StoredChannel] = []
        with self.engine.connect() as connection:
            for start in range(0, len(execution_ids), 500):  # bound the IN list
                rows = connection.execute(
                    select(table.c.execution_id, table.c.name, table.c.time, table.c.value)
                    .where(table.c.name.in_(names))
                    .where(table.c.execution_id.in_(execution_ids[start : start + 500]))
                    .order_by(table.c.sample_id)
                )
                found.extend(
                    StoredChannel(r.execution_id, r.name, datetime.fromisoformat(r.time), r.value)
                    for r in rows
                )
        return found

    def add_passport(self, passport: StoredPassport) -> StoredPassport:
        """Keeps a verified passport; the same request id again returns the first one."""
        with self._writes() as connection:
            existing = connection.execute(
                select(schema.module_passports).where(
                    schema.module_passports.c.request_id == passport.request_id
                )
            ).first()
            if existing is not None:
                return _passport(existing)
            connection.execute(
                insert(schema.module_passports).values(
                    request_id=passport.request_id,
                    module_id=passport.module_id,
                    vendor=passport.vendor,
                    serial=passport.serial,
                    signer=passport.signer,
                    issuer=passport.issuer,
                    imported_at=passport.imported_at.isoformat(),
                    signed_json=passport.signed_json,
                )
            )
        return passport

    def passports(self) -> list[StoredPassport]:
        """Every imported passport, oldest first."""
        table = schema.module_passports
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.passport_id))
            return [_passport(r) for r in rows]

    def add_maintenance(self, window: StoredMaintenance) -> StoredMaintenance:
        """Keeps a maintenance window; the same request id again returns the first one."""
        table = schema.maintenance_windows
        with self._writes() as connection:
            existing = connection.execute(
                select(table).where(table.c.request_id == window.request_id)
            ).first()
            if existing is not None:
                return _maintenance(existing)
            connection.execute(
                insert(table).values(
                    request_id=window.request_id,
                    module_id=window.module_id,
                    start=window.start.isoformat(),
                    end=window.end.isoformat(),
                    reason=window.reason,
                    created_at=window.created_at.isoformat(),
                )
            )
        return window

    def maintenance(self) -> list[StoredMaintenance]:
        table = schema.maintenance_windows
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.window_id))
            return [_maintenance(r) for r in rows]


def _maintenance(row) -> StoredMaintenance:
    return StoredMaintenance(
        request_id=row.request_id,
        module_id=row.module_id,
        start=datetime.fromisoformat(row.start),
        end=datetime.fromisoformat(row.end),
        reason=row.reason,
        created_at=datetime.fromisoformat(row.created_at),
    )


def _passport(row) -> StoredPassport:
    return StoredPassport(
        request_id=row.request_id,
        module_id=row.module_id,
        vendor=row.vendor,
        serial=row.serial,
        signer=row.signer,
        issuer=row.issuer,
        imported_at=datetime.fromisoformat(row.imported_at),
        signed_json=row.signed_json,
    )
