"""Schema versions and the migrations between them.

The database records its version in ``schema_version`` (one row per applied
migration). Opening a store applies every migration newer than the recorded version,
all in one transaction, so a crash mid-upgrade leaves the old schema intact. A
database written by a newer pnp is refused rather than guessed at.

Version 1 is the schema of pnp 0.1 before versioning existed (orders, modules,
attempts, events); such a database has the tables but no ``schema_version`` row, and
is recognised by its ``orders`` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, inspect, select, text

from pnp.orchestrator.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create(*tables) -> Callable[[Connection], None]:
    def apply(connection: Connection) -> None:
        for table in tables:
            table.create(connection)

    return apply


def _index_events_by_subject(connection: Connection) -> None:
    # What a module's restored drain marks and a subject's history are read by; without
    # it each such read scans the whole event log. (IF NOT EXISTS: SQLite and PostgreSQL.)
    connection.execute(
        text("CREATE INDEX IF NOT EXISTS events_by_subject ON events (subject, kind)")
    )


def _events_actor(connection: Connection) -> None:
    # Additive: events written before version 6 were by nobody in particular (""). A
    # database created now has the column already (version 1 creates today's table).
    columns = {column["name"] for column in inspect(connection).get_columns("events")}
    if "actor" in columns:
        return
    connection.execute(text("ALTER TABLE events ADD COLUMN actor VARCHAR(200) NOT NULL DEFAULT ''"))


def _leadership(connection: Connection) -> None:
    schema.leadership.create(connection)
    schema.replicas.create(connection)
    # Nobody leads yet: term 0, a lease that expired at the epoch.
    connection.execute(
        insert(schema.leadership).values(
            id=1,
            term=0,
            version=0,
            replica_id="",
            host="",
            pid=0,
            address="",
            ttl_seconds=0.0,
            acquired_at=0.0,
            renewed_at=0.0,
            expires_at=0.0,
        )
    )


def _index_attempts_by_start(connection: Connection) -> None:
    # What ListAttempts pages by (newest first), over all attempts and over one
    # module's; without them each page sorts the whole history.
    connection.execute(
        text("CREATE INDEX IF NOT EXISTS attempts_by_start ON attempts (started_at, execution_id)")
    )
    connection.execute(
        text("CREATE INDEX IF NOT EXISTS attempts_by_module ON attempts (module_id, started_at)")
    )
    # What a module's health score reads: its first and its latest settled executions.
    connection.execute(
        text("CREATE INDEX IF NOT EXISTS attempts_by_module_end ON attempts (module_id, ended_at)")
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "orders, modules, attempts, events",
        _create(schema.orders, schema.modules, schema.attempts, schema.events),
    ),
    Migration(
        2,
        "operations, leases, plan versions, telemetry samples",
        _create(schema.operations, schema.leases, schema.plans, schema.telemetry_samples),
    ),
    Migration(3, "leadership (leader lease, fencing term), replicas", _leadership),
    Migration(
        4,
        "module passports, maintenance windows (digital twin)",
        _create(schema.module_passports, schema.maintenance_windows),
    ),
    Migration(5, "events indexed by subject and kind", _index_events_by_subject),
    Migration(6, "events carry who asked for them (audit)", _events_actor),
    Migration(
        7,
        "attempts indexed by start and by module (paged ListAttempts, health)",
        _index_attempts_by_start,
    ),
)
LATEST = MIGRATIONS[-1].version
_MIGRATION_LOCK = 0x706E70  # "pnp": the advisory lock key migrations hold on PostgreSQL


class SchemaTooNew(Exception):
    def __init__(self, found: int) -> None:
        super().__init__(
            f"the database has schema version {found}, newer than this pnp knows "
            f"({LATEST}); use a newer pnp"
        )
        self.found = found


def current_version(connection: Connection) -> int:
    """The database's schema version: 0 for an empty database."""
    tables = set(inspect(connection).get_table_names())
    if schema.schema_version.name in tables:
        recorded = connection.execute(select(func.max(schema.schema_version.c.version))).scalar()
        if recorded is not None:
            return int(recorded)
    return 1 if schema.orders.name in tables else 0


def migrate(engine: Engine) -> tuple[int, int]:
    """Brings the database to the newest schema; returns (version before, version after)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two replicas starting together on an empty database: one migrates, the
            # other waits here and then finds the work done.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        found = current_version(connection)
        if found > LATEST:
            raise SchemaTooNew(found)
        if found == LATEST:
            return found, found
        if not inspect(connection).has_table(schema.schema_version.name):
            schema.schema_version.create(connection)
        now = datetime.now(UTC).isoformat()
        if found == 1 and not _recorded(connection, 1):
            connection.execute(
                insert(schema.schema_version).values(
                    version=1, applied_at=now, description=MIGRATIONS[0].description
                )
            )
        for migration in MIGRATIONS:
            if migration.version <= found:
                continue
            migration.apply(connection)
            connection.execute(
                insert(schema.schema_version).values(
                    version=migration.version, applied_at=now, description=migration.description
                )
            )
        return found, LATEST


def _recorded(connection: Connection, version: int) -> bool:
    row = connection.execute(
        select(schema.schema_version.c.version).where(schema.schema_version.c.version == version)
    ).first()
    return row is not None
