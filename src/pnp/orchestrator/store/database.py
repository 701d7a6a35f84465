"""The store: orders and module registrations, committed before anyone is told.

Calls are synchronous and short; the service runs them with ``asyncio.to_thread`` so
the event loop never waits on the disk. SQLite runs in WAL mode with
``synchronous=FULL``: an acknowledged order survives a power cut. PostgreSQL runs the
same code (store/engines.py). Every write goes through ``self.fence.begin()``
(store/fencing.py): once armed with the leader's term, a write of a deposed leader is
refused inside its own transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from pnp.orchestrator.domain.attempts import Attempt
from pnp.orchestrator.domain.events import Event
from pnp.orchestrator.domain.operations import OperationSpec, expand_order
from pnp.orchestrator.domain.recipes import Recipe
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.store import schema
from pnp.orchestrator.store.attempt_rows import attempt_of, attempt_row
from pnp.orchestrator.store.engines import Database, close_engine, database_target, open_engine
from pnp.orchestrator.store.fencing import WriteFence
from pnp.orchestrator.store.integrity import check_database_file
from pnp.orchestrator.store.leadership import Leadership
from pnp.orchestrator.store.migrations import SchemaTooNew, migrate
from pnp.orchestrator.store.plans import PlanStore
from pnp.orchestrator.store.registrations import Registration, save_registrations
from pnp.orchestrator.store.telemetry import TelemetryStore
from pnp.orchestrator.store.twin_records import TwinRecords


@dataclass(frozen=True)
class StoredOrder:
    order_id: str
    request_id: str
    source: str
    recipe_yaml: str
    state: str
    submitted_at: datetime


@dataclass(frozen=True)
class StoredModule:
    module_id: str
    epoch: int
    boot_id: str
    descriptor_json: str
    registered_at: datetime


@dataclass(frozen=True)
class StoredOperation:
    operation_id: str
    order_id: str
    step_id: str
    lot: int
    units: int
    capability: str
    parameters: dict
    after: tuple[str, ...]

    @classmethod
    def of(cls, spec: OperationSpec) -> StoredOperation:
        return cls(
            operation_id=spec.operation_id,
            order_id=spec.order_id,
            step_id=spec.step_id,
            lot=spec.lot,
            units=spec.units,
            capability=spec.capability,
            parameters=dict(spec.parameters),
            after=tuple(spec.after),
        )

    @classmethod
    def of_order(cls, order_id: str, recipe: Recipe) -> list[StoredOperation]:
        """The order's operations (its recipe expanded per lot), as stored."""
        return [cls.of(op) for op in expand_order(order_id, recipe)]


@dataclass(frozen=True)
class StoredLease:
    module_id: str
    epoch: int
    boot_id: str
    descriptor_json: str
    granted_at: datetime
    ttl_seconds: float
    ended_at: datetime | None
    end_reason: str


Writes = Callable[[], AbstractContextManager[Connection]]


class Store:
    def __init__(self, engine: Engine, database: Database | None = None) -> None:
        self.engine = engine
        self.database = database or (
            Database(url=engine.url)
            if engine.dialect.name == "postgresql"
            else Database(path=Path(engine.url.database or ""))
        )
        self.migrated_from, self.schema_version = migrate(engine)
        self.leadership = Leadership(engine)
        self.fence = WriteFence(engine, self.leadership, str(self.database))
        writes = self.fence.begin
        self._writes = writes
        self.attempts = AttemptStore(engine, writes)
        self.events = EventStore(engine, writes)
        self.plans = PlanStore(engine, writes=writes)
        self.telemetry = TelemetryStore(engine, writes)
        self.twin = TwinRecords(engine, writes)

    @property
    def leader_term(self) -> int:
        """The fencing term this process holds as the leader (pnp.v1.cluster): 0 until it
        holds the lease. Modules refuse commands that carry an older term."""
        return self.fence.term or 0

    @leader_term.setter
    def leader_term(self, term: int) -> None:
        self.fence.term = term or None

    @classmethod
    def open(
        cls,
        target: str | Path | Database,
        *,
        synchronous: str = "FULL",
        password_file: Path | None = None,
        idle_transaction_seconds: float = 10.0,
    ) -> Store:
        """Opens the store at ``target``: a path or sqlite:/// URL (SQLite, created when
        missing or empty) or postgresql://USER@HOST:PORT/DB; BadInput if it cannot, and
        ``DamagedDatabase`` (file untouched) for a file that is not a sound pnp database
        (store/integrity.py).

        ``synchronous`` (SQLite only) stays FULL in production (a commit survives a
        power cut); bench/durability.py measures what NORMAL would save, for comparison
        only."""
        database = (
            target
            if isinstance(target, Database)
            else database_target(target, password_file=password_file)
        )
        if database.path is not None:
            # Before anything writes: a damaged or foreign file is refused, untouched.
            check_database_file(database.path)
        engine = open_engine(
            database, synchronous=synchronous, idle_transaction_seconds=idle_transaction_seconds
        )
        try:
            return cls(engine, database)
        except SchemaTooNew as error:
            engine.dispose()
            raise BadInput(str(error), [Violation("db", f"{database}: {error}")]) from None
        except DBAPIError as error:
            engine.dispose()
            reason = str(error.orig) if error.orig is not None else str(error)
            raise BadInput(
                f"cannot use database {database}: {reason.strip()}",
                [Violation("db", f"cannot use database {database}: {reason.strip()}")],
            ) from None

    @classmethod
    def open_sqlite(cls, path: str | Path, synchronous: str = "FULL") -> Store:
        """Opens (creating when missing) the SQLite file at ``path``; BadInput if it cannot."""
        return cls.open(Database(path=Path(path)), synchronous=synchronous)

    def close(self) -> None:
        close_engine(self.engine)

    def last_recorded_time(self) -> datetime | None:
        """The latest factory time anything was recorded at (events, attempts, plans):
        where a restarted simulation's clock must carry on from."""
        columns = (
            schema.events.c.time,
            schema.attempts.c.started_at,
            schema.attempts.c.ended_at,
            schema.plans.c.created_at,
        )
        with self.engine.connect() as connection:
            found = [connection.execute(select(func.max(column))).scalar() for column in columns]
        times = [datetime.fromisoformat(text) for text in found if text]
        return max(times, default=None)

    # -- orders -----------------------------------------------------------------------

    def add_order(
        self,
        *,
        request_id: str,
        source: str,
        recipe_yaml: str,
        state: str,
        submitted_at: datetime,
        operations: Callable[[str], list[StoredOperation]] = lambda _order_id: [],
    ) -> StoredOrder:
        """Stores a new order with its operations and commits; the same request id
        returns the stored one.

        The order id comes from the row's sequence number, assigned in the same
        transaction, so ids are dense and never reused; ``operations(order_id)`` expands
        the recipe for that id, and the rows go in the same transaction.
        """
        existing = self.order_by_request(request_id)
        if existing is not None:
            return existing
        try:
            with self._writes() as connection:
                seq = connection.execute(
                    insert(schema.orders).values(
                        # Placeholder, unique and short, replaced in the same transaction.
                        order_id=f"pending-{uuid.uuid4().hex}",
                        request_id=request_id,
                        source=source,
                        recipe_yaml=recipe_yaml,
                        state=state,
                        submitted_at=submitted_at.isoformat(),
                    )
                ).inserted_primary_key[0]
                order_id = f"ord-{seq:05d}"
                connection.execute(
                    update(schema.orders)
                    .where(schema.orders.c.seq == seq)
                    .values(order_id=order_id)
                )
                rows = [_operation_row(op) for op in operations(order_id)]
                if rows:
                    connection.execute(insert(schema.operations), rows)
        except IntegrityError:
            # A concurrent submission with the same request id won the race.
            existing = self.order_by_request(request_id)
            if existing is None:
                raise
            return existing
        stored = self.order_by_request(request_id)
        assert stored is not None
        return stored

    def operations(self, order_id: str) -> list[StoredOperation]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(schema.operations)
                .where(schema.operations.c.order_id == order_id)
                .order_by(schema.operations.c.lot, schema.operations.c.operation_id)
            )
            return [
                StoredOperation(
                    operation_id=r.operation_id,
                    order_id=r.order_id,
                    step_id=r.step_id,
                    lot=r.lot,
                    units=r.units,
                    capability=r.capability,
                    parameters=json.loads(r.parameters_json),
                    after=tuple(json.loads(r.after_json)),
                )
                for r in rows
            ]

    def order_by_request(self, request_id: str) -> StoredOrder | None:
        return self._one_order(schema.orders.c.request_id == request_id)

    def order(self, order_id: str) -> StoredOrder | None:
        return self._one_order(schema.orders.c.order_id == order_id)

    def orders(self) -> list[StoredOrder]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.orders).order_by(schema.orders.c.seq))
            return [_order(row) for row in rows]

    def orders_before(self, before_seq: int | None, limit: int) -> list[tuple[int, StoredOrder]]:
        """Up to ``limit`` orders submitted before the one numbered ``before_seq`` (any,
        for None), newest first, each with its submission number: one keyset page."""
        orders = schema.orders
        query = select(orders).order_by(orders.c.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(orders.c.seq < before_seq)
        with self.engine.connect() as connection:
            return [(row.seq, _order(row)) for row in connection.execute(query)]

    def open_and_recent_orders(
        self, open_states: Collection[str], closed: int
    ) -> list[StoredOrder]:
        """Every order in one of ``open_states`` and the ``closed`` most recently submitted
        others, oldest first."""
        orders = schema.orders
        with self.engine.connect() as connection:
            rows = [
                *connection.execute(select(orders).where(orders.c.state.in_(open_states))),
                *connection.execute(
                    select(orders)
                    .where(orders.c.state.not_in(open_states))
                    .order_by(orders.c.seq.desc())
                    .limit(closed)
                ),
            ]
        return [_order(row) for row in sorted(rows, key=lambda row: row.seq)]

    def set_order_state(self, order_id: str, state: str) -> None:
        with self._writes() as connection:
            connection.execute(
                update(schema.orders)
                .where(schema.orders.c.order_id == order_id)
                .values(state=state)
            )

    def _one_order(self, condition) -> StoredOrder | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.orders).where(condition)).first()
            return _order(row) if row is not None else None

    # -- modules ----------------------------------------------------------------------

    def save_module(
        self,
        *,
        module_id: str,
        epoch: int,
        boot_id: str,
        descriptor_json: str,
        registered_at: datetime,
        lease_ttl_seconds: float = 0.0,
    ) -> None:
        """Records a registration: the module's current row and its lease for this epoch,
        in one transaction (an epoch is never visible before it is durable). A group of
        one for ``save_registrations``, which the factory's group commit calls."""
        registration = Registration(
            module_id=module_id,
            epoch=epoch,
            boot_id=boot_id,
            descriptor_json=descriptor_json,
            registered_at=registered_at,
            lease_ttl_seconds=lease_ttl_seconds,
        )
        save_registrations(self._writes, [registration])

    def end_lease(self, module_id: str, epoch: int, ended_at: datetime, reason: str) -> None:
        """Marks the lease of ``epoch`` as over (deregistered, lost); first reason wins."""
        with self._writes() as connection:
            connection.execute(
                update(schema.leases)
                .where(schema.leases.c.module_id == module_id)
                .where(schema.leases.c.epoch == epoch)
                .where(schema.leases.c.ended_at.is_(None))
                .values(ended_at=ended_at.isoformat(), end_reason=reason[:200])
            )

    def leases(self, module_id: str | None = None) -> list[StoredLease]:
        query = select(schema.leases).order_by(schema.leases.c.module_id, schema.leases.c.epoch)
        if module_id is not None:
            query = query.where(schema.leases.c.module_id == module_id)
        with self.engine.connect() as connection:
            return [
                StoredLease(
                    module_id=r.module_id,
                    epoch=r.epoch,
                    boot_id=r.boot_id,
                    descriptor_json=r.descriptor_json,
                    granted_at=datetime.fromisoformat(r.granted_at),
                    ttl_seconds=r.ttl_seconds,
                    ended_at=datetime.fromisoformat(r.ended_at) if r.ended_at else None,
                    end_reason=r.end_reason or "",
                )
                for r in connection.execute(query)
            ]

    def modules(self) -> list[StoredModule]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.modules).order_by(schema.modules.c.module_id))
            return [
                StoredModule(
                    module_id=row.module_id,
                    epoch=row.epoch,
                    boot_id=row.boot_id,
                    descriptor_json=row.descriptor_json,
                    registered_at=datetime.fromisoformat(row.registered_at),
                )
                for row in rows
            ]


class AttemptStore:
    """Attempts, written before the module is asked and updated as it answers."""

    def __init__(self, engine: Engine, writes: Writes | None = None) -> None:
        self.engine = engine
        self._writes = writes or engine.begin

    def add(self, attempt: Attempt) -> None:
        with self._writes() as connection:
            connection.execute(insert(schema.attempts).values(**attempt_row(attempt)))

    def update(self, attempt: Attempt) -> None:
        row = attempt_row(attempt)
        execution_id = row.pop("execution_id")
        with self._writes() as connection:
            connection.execute(
                update(schema.attempts)
                .where(schema.attempts.c.execution_id == execution_id)
                .values(**row)
            )

    def all(self) -> list[Attempt]:
        return attempts_where(self.engine)

    def of_order(self, order_id: str) -> list[Attempt]:
        return attempts_where(self.engine, schema.attempts.c.order_id == order_id)


class EventStore:
    """The append-only event log."""

    def __init__(self, engine: Engine, writes: Writes | None = None) -> None:
        self.engine = engine
        self._writes = writes or engine.begin

    def append(self, events: list[Event]) -> None:
        if not events:
            return
        # Each batch is written once: EventLog.flush lets a cancelled write finish and
        # queues a batch again only when its write failed.
        with self._writes() as connection:
            connection.execute(
                insert(schema.events),
                [
                    {
                        "sequence": e.sequence,
                        "time": e.time.isoformat(),
                        "kind": e.kind,
                        "subject": e.subject,
                        "message": e.message,
                        "actor": e.actor,
                    }
                    for e in events
                ],
            )

    def after(self, sequence: int, limit: int = 10_000) -> list[Event]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(schema.events)
                .where(schema.events.c.sequence > sequence)
                .order_by(schema.events.c.sequence)
                .limit(limit)
            )
            return [_event_of(r) for r in rows]

    def latest_about(self, subject: str, kinds: Collection[str], limit: int = 20) -> list[Event]:
        """The newest events of ``kinds`` about ``subject``, newest first."""
        return self.latest_about_each([subject], kinds, limit)[subject]

    def latest_about_each(
        self, subjects: Collection[str], kinds: Collection[str], limit: int = 20
    ) -> dict[str, list[Event]]:
        """``latest_about`` for many subjects over one connection (a registration group
        after a takeover asks for hundreds at once)."""
        with self.engine.connect() as connection:
            found: dict[str, list[Event]] = {}
            for subject in subjects:
                rows = connection.execute(
                    select(schema.events)
                    .where(schema.events.c.subject == subject, schema.events.c.kind.in_(kinds))
                    .order_by(schema.events.c.sequence.desc())
                    .limit(limit)
                )
                found[subject] = [_event_of(r) for r in rows]
            return found

    def last_sequence(self) -> int:
        with self.engine.connect() as connection:
            value = connection.execute(select(func.max(schema.events.c.sequence))).scalar()
            return int(value or 0)


def _operation_row(operation: StoredOperation) -> dict:
    return {
        "operation_id": operation.operation_id,
        "order_id": operation.order_id,
        "step_id": operation.step_id,
        "lot": operation.lot,
        "units": operation.units,
        "capability": operation.capability,
        "parameters_json": json.dumps(dict(operation.parameters)),
        "after_json": json.dumps(list(operation.after)),
    }


def attempts_where(engine: Engine, *conditions: ColumnElement[bool]) -> list[Attempt]:
    """The attempts that meet every condition, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(schema.attempts).where(*conditions).order_by(schema.attempts.c.started_at)
        )
        return [attempt_of(row) for row in rows]


def _order(row) -> StoredOrder:
    return StoredOrder(
        order_id=row.order_id,
        request_id=row.request_id,
        source=row.source,
        recipe_yaml=row.recipe_yaml,
        state=row.state,
        submitted_at=datetime.fromisoformat(row.submitted_at),
    )


def _event_of(row) -> Event:
    return Event(
        row.sequence,
        datetime.fromisoformat(row.time),
        row.kind,
        row.subject,
        row.message,
        row.actor,
    )
