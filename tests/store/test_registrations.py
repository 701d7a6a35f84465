"""Registrations written together (``store.registrations``) leave exactly the rows that
writing them one by one (``Store.save_module``) leaves: module rows, leases per epoch,
earlier leases ended as superseded, a retry's lease granted anew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pnp.orchestrator.store import Store, schema
from pnp.orchestrator.store.registrations import Registration, save_registrations

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def registration(module_id: str, epoch: int, boot: str, minute: int) -> Registration:
    return Registration(
        module_id=module_id,
        epoch=epoch,
        boot_id=boot,
        descriptor_json=f'{{"module_id": "{module_id}", "boot": "{boot}"}}',
        registered_at=T0 + timedelta(minutes=minute),
        lease_ttl_seconds=2.0,
    )


ROUNDS = [
    # first registrations
    [registration("a", 1, "a1", 0), registration("b", 1, "b1", 0)],
    # a retry of a's boot (same epoch), b rebooted (epoch 2), c is new
    [registration("a", 1, "a1", 1), registration("b", 2, "b2", 1), registration("c", 1, "c1", 1)],
]


def tables(store: Store) -> dict[str, list[tuple]]:
    with store.engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for table in (schema.modules, schema.leases)
        }


def test_registrations_written_together_leave_the_rows_written_one_by_one(tmp_path):
    one_by_one = Store.open_sqlite(tmp_path / "one.db")
    together = Store.open_sqlite(tmp_path / "together.db")
    try:
        for batch in ROUNDS:
            for r in batch:
                one_by_one.save_module(
                    module_id=r.module_id,
                    epoch=r.epoch,
                    boot_id=r.boot_id,
                    descriptor_json=r.descriptor_json,
                    registered_at=r.registered_at,
                    lease_ttl_seconds=r.lease_ttl_seconds,
                )
            save_registrations(together.fence.begin, batch)
            assert tables(together) == tables(one_by_one)
        leases = {(lease.module_id, lease.epoch): lease for lease in together.leases()}
        assert leases["b", 1].end_reason == "superseded by epoch 2"
        assert leases["a", 1].granted_at == T0 + timedelta(minutes=1)  # granted anew
    finally:
        one_by_one.close()
        together.close()


def test_nothing_is_written_for_no_registrations(tmp_path):
    store = Store.open_sqlite(tmp_path / "pnp.db")
    try:
        save_registrations(store.fence.begin, [])
        assert tables(store) == {"modules": [], "leases": []}
    finally:
        store.close()
