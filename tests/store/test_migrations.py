"""The schema is versioned: old databases are upgraded in place, newer ones refused."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.migrations import LATEST

# The schema pnp 0.1 wrote before versioning existed (version 1), as SQLite DDL.
VERSION_1 = """
CREATE TABLE orders (seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id VARCHAR(64) NOT NULL UNIQUE,
  request_id VARCHAR(128) NOT NULL UNIQUE, source VARCHAR(512) NOT NULL, recipe_yaml TEXT NOT NULL,
  state VARCHAR(32) NOT NULL, submitted_at VARCHAR(40) NOT NULL);
CREATE TABLE modules (module_id VARCHAR(64) PRIMARY KEY, epoch INTEGER NOT NULL,
  boot_id VARCHAR(128) NOT NULL, descriptor_json TEXT NOT NULL, registered_at VARCHAR(40) NOT NULL);
CREATE TABLE attempts (execution_id VARCHAR(64) PRIMARY KEY, operation_id VARCHAR(200) NOT NULL,
  order_id VARCHAR(64) NOT NULL, module_id VARCHAR(64) NOT NULL, epoch INTEGER NOT NULL,
  capability VARCHAR(200) NOT NULL, parameters_json TEXT NOT NULL, units INTEGER NOT NULL,
  state VARCHAR(16) NOT NULL, started_at VARCHAR(40) NOT NULL, ended_at VARCHAR(40),
  results_json TEXT NOT NULL, error TEXT NOT NULL);
CREATE TABLE events (sequence INTEGER PRIMARY KEY, time VARCHAR(40) NOT NULL,
  kind VARCHAR(64) NOT NULL, subject VARCHAR(200) NOT NULL, message TEXT NOT NULL);
INSERT INTO orders VALUES (1, 'ord-00001', 'r1', 'a.yaml', 'kind: Order', 'Completed',
  '2026-01-01T00:00:00+00:00');
INSERT INTO events VALUES (1, '2026-01-01T00:00:00+00:00', 'order.submitted', 'ord-00001', 'a');
"""


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        return {name for (name,) in rows}


def test_a_new_database_is_created_at_the_newest_version(tmp_path):
    store = Store.open_sqlite(tmp_path / "new.db")
    try:
        assert (store.migrated_from, store.schema_version) == (0, LATEST)
    finally:
        store.close()
    assert {"operations", "leases", "plans", "telemetry_samples", "schema_version"} <= _tables(
        tmp_path / "new.db"
    )


def test_a_version_1_database_is_upgraded_in_place_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(VERSION_1)
    store = Store.open_sqlite(path)
    try:
        assert (store.migrated_from, store.schema_version) == (1, LATEST)
        [order] = store.orders()
        assert (order.order_id, order.state) == ("ord-00001", "Completed")
        assert store.events.last_sequence() == 1
        assert store.plans.latest() is None
    finally:
        store.close()
    with sqlite3.connect(path) as connection:
        versions = [v for (v,) in connection.execute("SELECT version FROM schema_version")]
    assert versions == list(range(1, LATEST + 1))
    # Opening again changes nothing.
    again = Store.open_sqlite(path)
    try:
        assert (again.migrated_from, again.schema_version) == (LATEST, LATEST)
    finally:
        again.close()


def test_a_database_from_a_newer_pnp_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.db"
    Store.open_sqlite(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO schema_version VALUES (99, '2030-01-01T00:00:00+00:00', 'from the future')"
        )
    before = path.read_bytes()
    with pytest.raises(BadInput, match="schema version 99, newer than this pnp"):
        Store.open_sqlite(path)
    assert path.read_bytes() == before


def test_each_registration_epoch_keeps_its_own_lease_and_descriptor(tmp_path):
    store = Store.open_sqlite(tmp_path / "leases.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        for epoch, serial in ((1, "SN-1"), (2, "SN-2")):
            store.save_module(
                module_id="laser-1",
                epoch=epoch,
                boot_id=f"boot-{epoch}",
                descriptor_json=f'{{"serial": "{serial}"}}',
                registered_at=now,
                lease_ttl_seconds=2.0,
            )
        store.end_lease("laser-1", 2, now, "lease expired")
        first, second = store.leases("laser-1")
        assert (first.epoch, first.end_reason) == (1, "superseded by epoch 2")
        assert (second.epoch, second.end_reason) == (2, "lease expired")
        assert '"SN-1"' in first.descriptor_json and '"SN-2"' in second.descriptor_json
        # The same boot registering again keeps its epoch and is granted a new lease.
        store.save_module(
            module_id="laser-1",
            epoch=2,
            boot_id="boot-2",
            descriptor_json='{"serial": "SN-2"}',
            registered_at=now,
            lease_ttl_seconds=2.0,
        )
        assert [(lease.epoch, lease.ended_at) for lease in store.leases("laser-1")] == [
            (1, now),
            (2, None),
        ]
    finally:
        store.close()
