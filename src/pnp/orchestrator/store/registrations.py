"""Registrations written together: one transaction (one fsync) for a group of them.

After a takeover every module registers again at once; committing each on its own
costs an fsync per module and queues the herd behind the disk. The service gathers
the registrations that arrive while one commit is under way and writes them here in
one transaction: the same rows ``Store.save_module`` writes for one (the module's
current row, its lease for this epoch, earlier epochs' leases ended), and still
before any of them is answered, so an epoch is never acknowledged before it is
durable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from pnp.orchestrator.store import schema


@dataclass(frozen=True)
class Registration:
    module_id: str
    epoch: int
    boot_id: str
    descriptor_json: str
    registered_at: datetime
    lease_ttl_seconds: float


def save_registrations(
    writes: Callable[[], AbstractContextManager[Connection]],
    registrations: Sequence[Registration],
) -> None:
    """Records every registration in one transaction (from ``writes``: the store's
    fenced write transactions): all or none. Statements go as executemany batches (one
    per kind of row), not one per module."""
    if not registrations:
        return
    latest = {r.module_id: r for r in registrations}  # one per module (the last wins)
    modules, leases = schema.modules, schema.leases
    with writes() as connection:
        ids = list(latest)
        known: set[str] = set()
        granted: set[tuple[str, int]] = set()
        for start in range(0, len(ids), 500):  # under any driver's parameter limit
            chunk = ids[start : start + 500]
            known.update(
                connection.execute(
                    select(modules.c.module_id).where(modules.c.module_id.in_(chunk))
                ).scalars()
            )
            granted.update(
                (row.module_id, row.epoch)
                for row in connection.execute(
                    select(leases.c.module_id, leases.c.epoch).where(leases.c.module_id.in_(chunk))
                )
            )
        rows = [_row(r) for r in latest.values()]
        module_rows = [
            {k: row[k] for k in ("module_id", "epoch", "boot_id", "descriptor_json")}
            | {"registered_at": row["granted_at"]}
            for row in rows
        ]
        _many(
            connection,
            update(modules)
            .where(modules.c.module_id == bindparam("b_module_id"))
            .values(
                epoch=bindparam("epoch"),
                boot_id=bindparam("boot_id"),
                descriptor_json=bindparam("descriptor_json"),
                registered_at=bindparam("registered_at"),
            ),
            [_keyed(r) for r in module_rows if r["module_id"] in known],
        )
        _many(connection, insert(modules), [r for r in module_rows if r["module_id"] not in known])
        # Earlier epochs' leases still open end here: superseded by this one.
        _many(
            connection,
            update(leases)
            .where(leases.c.module_id == bindparam("b_module_id"))
            .where(leases.c.epoch != bindparam("b_epoch"))
            .where(leases.c.ended_at.is_(None))
            .values(ended_at=bindparam("ended_at"), end_reason=bindparam("end_reason")),
            [
                {
                    "b_module_id": row["module_id"],
                    "b_epoch": row["epoch"],
                    "ended_at": row["granted_at"],
                    "end_reason": f"superseded by epoch {row['epoch']}",
                }
                for row in rows
                if row["module_id"] in known
            ],
        )
        # The same boot registering again (a retry, or back after its lease ran out)
        # keeps its epoch: the lease is granted anew.
        _many(
            connection,
            update(leases)
            .where(leases.c.module_id == bindparam("b_module_id"))
            .where(leases.c.epoch == bindparam("b_epoch"))
            .values(
                boot_id=bindparam("boot_id"),
                descriptor_json=bindparam("descriptor_json"),
                granted_at=bindparam("granted_at"),
                ttl_seconds=bindparam("ttl_seconds"),
                ended_at=None,
                end_reason="",
            ),
            [
                {
                    "b_module_id": row["module_id"],
                    "b_epoch": row["epoch"],
                    "boot_id": row["boot_id"],
                    "descriptor_json": row["descriptor_json"],
                    "granted_at": row["granted_at"],
                    "ttl_seconds": row["ttl_seconds"],
                }
                for row in rows
                if (row["module_id"], row["epoch"]) in granted
            ],
        )
        _many(
            connection,
            insert(leases),
            [
                row | {"ended_at": None, "end_reason": ""}
                for row in rows
                if (row["module_id"], row["epoch"]) not in granted
            ],
        )


def _row(registration: Registration) -> dict:
    return {
        "module_id": registration.module_id,
        "epoch": registration.epoch,
        "boot_id": registration.boot_id,
        "descriptor_json": registration.descriptor_json,
        "granted_at": registration.registered_at.isoformat(),
        "ttl_seconds": registration.lease_ttl_seconds,
    }


def _keyed(row: dict) -> dict:
    """The row with its module id as the WHERE clause's parameter (a bound parameter
    may not share a column's name in an UPDATE's SET)."""
    return {k: v for k, v in row.items() if k not in ("module_id", "epoch")} | {
        "b_module_id": row["module_id"],
        "epoch": row["epoch"],
    }


def _many(connection: Connection, statement, rows: list[dict]) -> None:
    if rows:
        connection.execute(statement, rows)


DRAINED, RELEASED, DEREGISTERED = "module.draining", "module.released", "module.deregistered"


@dataclass(frozen=True)
class StoredDrains:
    """The modules drained before a restart, and of those the ones already released."""

    draining: frozenset[str] = frozenset()
    released: frozenset[str] = frozenset()


def stored_drains(engine: Engine) -> StoredDrains:
    """The modules drained (or released) and not deregistered since, read from the event
    log: a drain is the planner's decision and outlives an orchestrator restart."""
    with engine.connect() as connection:
        return _drained(connection)


def _drained(connection: Connection) -> StoredDrains:
    events = schema.events
    last_drain_event = (
        select(events.c.subject, func.max(events.c.sequence).label("sequence"))
        .where(events.c.kind.in_((DRAINED, RELEASED, DEREGISTERED)))
        .group_by(events.c.subject)
        .subquery()
    )
    rows = connection.execute(
        select(events.c.subject, events.c.kind)
        .join(
            last_drain_event,
            (events.c.subject == last_drain_event.c.subject)
            & (events.c.sequence == last_drain_event.c.sequence),
        )
        .where(events.c.kind != DEREGISTERED)
    ).all()
    return StoredDrains(
        draining=frozenset(subject for subject, _ in rows),
        released=frozenset(subject for subject, kind in rows if kind == RELEASED),
    )
