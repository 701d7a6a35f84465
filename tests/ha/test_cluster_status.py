"""`pnp cluster status` reads the cluster from the database: who leads, under which term,
how much lease is left, and every replica's state (here on SQLite, in this process; the
PostgreSQL replicas of tests/ha/test_failover.py read it the same way)."""

from __future__ import annotations

import json

from pnp.orchestrator.store import Store
from pnp.orchestrator.store.leadership import Replica
from tests.cli.pnp_process import pnp_here


def test_it_shows_the_leader_its_term_and_each_replica(tmp_path):
    db = tmp_path / "pnp.db"
    store = Store.open(db)
    leader, standby = (
        Replica("r-a", "floor-1", 101, "10.0.0.1:50051"),
        Replica("r-b", "floor-2", 202, "10.0.0.2:50051"),
    )
    try:
        term = store.leadership.try_acquire(leader, 30.0, dead_local_holder_ok=False)
        store.leadership.heartbeat(leader, "leader", term)
        store.leadership.heartbeat(standby, "standby", 0)
    finally:
        store.close()

    shown = pnp_here("cluster", "status", "--db", str(db), "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["term"] == 1 and status["leader"]["address"] == "10.0.0.1:50051"
    assert 0 < status["lease_remaining_seconds"] <= 30
    assert [(r["replica_id"], r["state"], r["term"]) for r in status["replicas"]] == [
        ("r-a", "leader", 1),
        ("r-b", "standby", 0),
    ]

    table = pnp_here("cluster", "status", "--db", str(db))
    assert table.returncode == 0, table.stderr
    assert "leader: 10.0.0.1:50051 (host floor-1, pid 101), term 1" in table.stdout


def test_a_missing_database_is_bad_input_not_a_new_file(tmp_path):
    shown = pnp_here("cluster", "status", "--db", str(tmp_path / "nope.db"))
    assert shown.returncode == 2
    assert "nope.db: no such file" in shown.stderr
    assert not (tmp_path / "nope.db").exists()


def test_it_has_help():
    shown = pnp_here("cluster", "status", "--help")
    assert shown.returncode == 0 and "--json" in shown.stdout and "--db" in shown.stdout
