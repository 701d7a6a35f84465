"""``pnp cluster status``: the replicas of an orchestrator, who leads, under which term.

It reads the database itself (the ``leadership`` and ``replicas`` tables), not a
replica: the answer is there when every replica is down, stalled or standing by, which
is when it is wanted most.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from pnp.orchestrator.cli.app import cli, json_option
from pnp.orchestrator.cli.output import console, emit_json

if TYPE_CHECKING:
    from pnp.orchestrator.store.leadership import ClusterStatus, ReplicaState


@cli.group()
def cluster() -> None:
    """Replicated orchestrators: which replica leads, and the others' state."""


@cluster.command()
@click.option(
    "--db",
    "db",
    default="pnp.db",
    show_default=True,
    metavar="PATH|URL",
    help="The orchestrators' database: an SQLite file or postgresql://USER@HOST:PORT/DB "
    "(password from PNP_DB_PASSWORD, PGPASSWORD or --db-password-file).",
)
@click.option(
    "--db-password-file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the PostgreSQL password.",
)
@json_option
def status(db: str, db_password_file: Path | None, as_json: bool) -> None:
    """The leader, its term and lease, and every replica's state and last heartbeat."""
    # Imported here: the store pulls in SQLAlchemy, and other commands should start fast.
    from pnp.orchestrator.errors import BadInput, Violation
    from pnp.orchestrator.store.engines import database_target, open_engine
    from pnp.orchestrator.store.leadership import Leadership

    database = database_target(db, password_file=db_password_file)
    if database.path is not None and not database.path.exists():
        raise BadInput(
            f"no database at {database.path}",
            [Violation("--db", f"{database.path}: no such file")],
        )
    engine = open_engine(database)
    try:
        found = Leadership(engine).status()
    except Exception as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BadInput(
            f"cannot read the cluster from {database}: {reason}",
            [Violation("--db", f"{database}: {reason} (is it a pnp database of schema v3+?)")],
        ) from None
    finally:
        engine.dispose()
    if as_json:
        emit_json(status_document(found))
    else:
        _show(found)


def shown_state(replica: ReplicaState, found: ClusterStatus) -> str:
    """A replica's state as the cluster sees it now, not only as it last said."""
    lease = found.lease
    silent_after = max(3.0, lease.ttl_seconds)
    if replica.state == "leader":
        holds = lease.live and lease.holder == replica.replica
        if not holds:
            return "deposed" if lease.term > replica.term else "leader, lease expired"
    if replica.state in ("leader", "standby") and replica.seen_ago > silent_after:
        return f"silent ({replica.state})"
    return replica.state


def status_document(found: ClusterStatus) -> dict:
    lease = found.lease
    leader = lease.holder if lease.live else None
    return {
        "term": lease.term,
        "leader": None
        if leader is None
        else {
            "replica_id": leader.replica_id,
            "host": leader.host,
            "pid": leader.pid,
            "address": leader.address,
        },
        "lease_remaining_seconds": round(lease.remaining, 3),
        "lease_ttl_seconds": lease.ttl_seconds,
        "replicas": [
            {
                "replica_id": r.replica.replica_id,
                "host": r.replica.host,
                "pid": r.replica.pid,
                "address": r.replica.address,
                "state": shown_state(r, found),
                "term": r.term,
                "seen_seconds_ago": round(r.seen_ago, 3),
            }
            for r in found.replicas
        ],
    }


def _show(found: ClusterStatus) -> None:
    lease = found.lease
    if lease.live and lease.holder is not None:
        console.print(
            f"leader: {lease.holder.address} (host {lease.holder.host}, pid "
            f"{lease.holder.pid}), term {lease.term}, lease {lease.remaining:.1f} s of "
            f"{lease.ttl_seconds:g} s left",
            soft_wrap=True,
        )
    else:
        console.print(f"leader: none (term {lease.term}; the lease is free)")
    table = Table("replica", "address", "host", "pid", "state", "term", "last seen")
    for replica in found.replicas:
        table.add_row(
            replica.replica.replica_id,
            replica.replica.address,
            replica.replica.host,
            str(replica.replica.pid),
            shown_state(replica, found),
            str(replica.term),
            f"{replica.seen_ago:.1f} s ago",
        )
    console.print(table)
