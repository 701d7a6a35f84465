"""One writer, always: the leader lease and its fencing term, in the database itself.

The ``leadership`` table has one row: the term (it only rises), who holds it (replica
id, host, pid, listen address) and until when. A replica takes the lease with a
compare-and-set on the row as it saw it, when the lease has expired (or, at start, when
its holder is a dead process on this very host: a crashed orchestrator restarted on its
own machine need not wait a lease out). The leader renews the lease with a write that
succeeds only while the term is still its own. Every write transaction of the store
checks the term inside the same transaction (``check_term``, used by
``store/fencing.py``): on PostgreSQL by reading the row ``FOR KEY SHARE``, which a
takeover's ``SELECT ... FOR UPDATE`` must wait for, on SQLite by a no-op update of the
row, which takes the database's write lock. So a write either commits before a takeover
or sees the new term and fails with ``Deposed``; no write of a deposed leader lands
after its successor has read the state.

On PostgreSQL the renewal is a plain ``UPDATE`` of columns no key covers (its row lock
is ``FOR NO KEY UPDATE``), which ``FOR KEY SHARE`` does not block: a renewal never
queues behind the leader's own write transactions, however long a CPU-starved writer
keeps one open. (With ``FOR SHARE`` it did: renewals waited out every open write, hit
their statement timeout under load, and healthy leaders stepped down.) Only a takeover
(``FOR UPDATE``) and another renewal exclude it. On SQLite one write lock serves all,
and a renewal waits for the write in progress (short: SQLite writes are local).

Lease times are on the database's clock, never a replica's: PostgreSQL's
``clock_timestamp()``, or on SQLite the clock of the one machine that holds the file.
Replicas may disagree about the time of day; only the database server's clock decides
whether a lease has expired. The leader itself counts its lease on its own monotonic
clock from the moment it *sent* the renewal (``LeaseKeeper``): the database's expiry is
later than that, so a leader gives up before anyone can take over, as long as the two
clocks tick at the same rate.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Connection,
    create_engine,
    delete,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from pnp.orchestrator.errors import Conflict, Deposed
from pnp.orchestrator.store import schema

_ROW = schema.leadership.c.id == 1
# A replica row not heard of for this long is dropped when another replica starts.
FORGET_REPLICAS_AFTER = 3600.0


@dataclass(frozen=True)
class Replica:
    """One orchestrator process that may lead: where it runs and where clients reach it."""

    replica_id: str
    host: str
    pid: int
    address: str

    @classmethod
    def this_process(cls, address: str) -> Replica:
        return cls(uuid.uuid4().hex[:12], socket.gethostname(), os.getpid(), address)

    def describe(self) -> str:
        return f"host {self.host}, pid {self.pid}, listening on {self.address}"


@dataclass(frozen=True)
class Lease:
    """The leadership row as read, with the database's time of the read."""

    term: int
    version: int
    holder: Replica | None
    ttl_seconds: float
    expires_at: float
    now: float

    @property
    def remaining(self) -> float:
        return max(0.0, self.expires_at - self.now)

    @property
    def live(self) -> bool:
        return self.holder is not None and self.expires_at > self.now


@dataclass(frozen=True)
class ReplicaState:
    replica: Replica
    state: str  # leader, standby, deposed, stopped
    term: int
    seen_ago: float


@dataclass(frozen=True)
class ClusterStatus:
    lease: Lease
    replicas: list[ReplicaState]


class LeaderActive(Conflict):
    """Another orchestrator holds the lease on this database."""

    def __init__(self, lease: Lease, database: str) -> None:
        assert lease.holder is not None
        super().__init__(
            f"another orchestrator leads on {database} (term {lease.term}: "
            f"{lease.holder.describe()}; its lease runs {lease.remaining:.1f} s more unless "
            "renewed); stop it first, or start this one with --standby to take over when "
            "it stops"
        )
        self.lease = lease


def database_now(connection: Connection):
    """Now, in seconds since the epoch, by the database's clock (a SQL expression)."""
    if connection.dialect.name == "postgresql":
        return literal_column("CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)")
    return literal_column("((julianday('now') - 2440587.5) * 86400.0)")


class Leadership:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def on_connections_of_its_own(self) -> Leadership:
        """The same lease on a pool of its own (same database, same connection settings):
        for the lease keeper, whose renewals must never wait for a connection that the
        store's writers hold. ``close`` it when done."""
        pool = self.engine.pool.recreate()  # same connect function and events, no connections
        return Leadership(create_engine(self.engine.url, pool=pool))

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ------------------------------------------------------------------------

    def read(self) -> Lease:
        with self.engine.connect() as connection:
            return _lease(connection)

    def status(self) -> ClusterStatus:
        with self.engine.connect() as connection:
            lease = _lease(connection)
            rows = connection.execute(
                select(schema.replicas).order_by(
                    schema.replicas.c.started_at, schema.replicas.c.replica_id
                )
            ).all()
        return ClusterStatus(
            lease,
            [
                ReplicaState(
                    Replica(r.replica_id, r.host, r.pid, r.address),
                    r.state,
                    r.term,
                    max(0.0, lease.now - r.seen_at),
                )
                for r in rows
            ],
        )

    # -- taking, keeping, giving back ---------------------------------------------------

    def try_acquire(self, me: Replica, ttl: float, *, dead_local_holder_ok: bool) -> int | Lease:
        """Takes the lease if nobody holds it live: returns the new term. Otherwise
        returns the lease as seen (held by someone else).

        With ``dead_local_holder_ok``, a holder on this host whose process is gone counts
        as nobody (a restart after a crash on the same machine)."""
        seen = self.read()
        free = not seen.live or (
            dead_local_holder_ok
            and seen.holder is not None
            and seen.holder.host == me.host
            and seen.holder.pid != me.pid
            and not process_alive(seen.holder.pid)
        )
        if not free:
            return seen
        table = schema.leadership
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Writes of the old leader hold the row FOR KEY SHARE, which a plain
                    # UPDATE of these columns would not wait for: FOR UPDATE does. Wait
                    # for them a little, not forever (a frozen one is ended by the server).
                    connection.execute(text("SET LOCAL lock_timeout = '2s'"))
                    connection.execute(select(table.c.term).where(_ROW).with_for_update())
                now = database_now(connection)
                taken = connection.execute(
                    update(table)
                    .where(_ROW, table.c.version == seen.version)
                    .values(
                        term=table.c.term + 1,
                        version=table.c.version + 1,
                        replica_id=me.replica_id,
                        host=me.host,
                        pid=me.pid,
                        address=me.address,
                        ttl_seconds=ttl,
                        acquired_at=now,
                        renewed_at=now,
                        expires_at=now + ttl,
                    )
                ).rowcount
        except DBAPIError:
            return self.read()  # a lock wait timed out: someone is busy with the row
        if taken != 1:
            return self.read()  # someone else changed the row first
        return seen.term + 1

    def renew(self, term: int, ttl: float) -> None:
        """Extends the lease of ``term``; ``Deposed`` if the term is no longer current."""
        table = schema.leadership
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Only a takeover or a stuck earlier renewal can hold it up (see above);
                # a renewal stuck behind a lock is no renewal: give up in time to say so.
                connection.execute(text(f"SET LOCAL statement_timeout = {int(ttl * 500)}"))
            now = database_now(connection)
            renewed = connection.execute(
                update(table)
                .where(_ROW, table.c.term == term)
                .values(version=table.c.version + 1, renewed_at=now, expires_at=now + ttl)
            ).rowcount
            if renewed != 1:
                raise _deposed(connection, term)

    def set_address(self, term: int, address: str) -> None:
        """Where the leader of ``term`` listens, once its server is bound (port 0)."""
        table = schema.leadership
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(_ROW, table.c.term == term)
                .values(version=table.c.version + 1, address=address)
            )

    def release(self, term: int) -> None:
        """Ends the lease of ``term`` now (a clean stop): a standby need not wait it out."""
        table = schema.leadership
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(_ROW, table.c.term == term)
                .values(version=table.c.version + 1, expires_at=database_now(connection))
            )

    def check_term(self, connection: Connection, term: int) -> None:
        """Inside a write transaction: ``Deposed`` unless ``term`` is still current, and
        no takeover can commit until this transaction ends."""
        table = schema.leadership
        if connection.dialect.name == "postgresql":
            # KEY SHARE: blocks a takeover (FOR UPDATE), not a renewal (see above).
            current = connection.execute(
                select(table.c.term).where(_ROW).with_for_update(read=True, key_share=True)
            ).scalar_one()
            if current != term:
                raise _deposed(connection, term)
            return
        # SQLite: an update (even a no-op) takes the database's one write lock at once.
        held = connection.execute(
            update(table).where(_ROW, table.c.term == term).values(term=table.c.term)
        ).rowcount
        if held != 1:
            raise _deposed(connection, term)

    # -- replicas -----------------------------------------------------------------------

    def heartbeat(self, me: Replica, state: str, term: int) -> None:
        """Records that ``me`` is alive and in ``state`` (its own row only)."""
        table = schema.replicas
        with self.engine.begin() as connection:
            now = database_now(connection)
            values = {
                "host": me.host,
                "pid": me.pid,
                "address": me.address,
                "state": state,
                "term": term,
                "seen_at": now,
            }
            changed = connection.execute(
                update(table).where(table.c.replica_id == me.replica_id).values(**values)
            ).rowcount
            if not changed:
                connection.execute(
                    delete(table).where(table.c.seen_at < now - FORGET_REPLICAS_AFTER)
                )
                connection.execute(
                    insert(table).values(replica_id=me.replica_id, started_at=now, **values)
                )


def _lease(connection: Connection) -> Lease:
    table = schema.leadership
    row = connection.execute(select(table, database_now(connection).label("now")).where(_ROW)).one()
    holder = Replica(row.replica_id, row.host, row.pid, row.address) if row.replica_id else None
    return Lease(row.term, row.version, holder, row.ttl_seconds, row.expires_at, row.now)


def _deposed(connection: Connection, term: int) -> Deposed:
    lease = _lease(connection)
    holder = lease.holder.describe() if lease.holder else "nobody"
    return Deposed(
        f"this orchestrator was deposed: it led at term {term}, the database is at term "
        f"{lease.term} ({holder}); its writes are refused"
    )


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
