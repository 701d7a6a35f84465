"""A full disk under the database: a write is refused whole with StorageFull (the
database's disk is full: ...), leaves no row of itself behind, and the same write
succeeds once space returns, in the same process. The event log keeps a refused
batch and stores it, without a gap, when space returns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from pnp.orchestrator.clock import SystemClock
from pnp.orchestrator.errors import StorageFull, Unavailable
from pnp.orchestrator.service import events as event_log
from pnp.orchestrator.service.events import EventLog
from pnp.orchestrator.store import Store, schema
from tests.store.full_disk import FullDisk

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BIG_RECIPE = "# " + "x" * 200_000 + "\n"  # needs pages the full disk does not have


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "pnp.db")
    yield opened
    opened.close()


@pytest.fixture
def disk(store) -> FullDisk:
    return FullDisk(store.engine)


def count(store: Store, table) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar() or 0)


def add_order(store: Store, request_id: str, recipe: str = BIG_RECIPE):
    return store.add_order(
        request_id=request_id,
        source="big.yaml",
        recipe_yaml=recipe,
        state="allowed_to_start",
        submitted_at=NOW,
    )


def test_a_refused_order_is_unavailable_with_the_reason_and_leaves_nothing(store, disk, tmp_path):
    disk.fill()
    with pytest.raises(StorageFull) as refused:
        add_order(store, "r-1")
    assert isinstance(refused.value, Unavailable)  # UNAVAILABLE on the wire, exit 1
    assert refused.value.message.startswith("the database's disk is full: ")
    assert str(tmp_path / "pnp.db") in refused.value.message
    assert count(store, schema.orders) == 0
    assert count(store, schema.operations) == 0


def test_the_same_order_is_stored_once_space_returns_with_the_first_id(store, disk):
    disk.fill()
    with pytest.raises(StorageFull):
        add_order(store, "r-1")
    disk.free()
    stored = add_order(store, "r-1")
    assert stored.order_id == "ord-00001"  # the refused write took no sequence number
    assert [o.request_id for o in store.orders()] == ["r-1"]


def test_a_refused_registration_leaves_no_module_and_no_lease(store, disk):
    disk.fill()
    with pytest.raises(StorageFull):
        store.save_module(
            module_id="welding-cell-a2",
            epoch=1,
            boot_id="boot-1",
            descriptor_json="{" + '"pad": "' + "x" * 200_000 + '"}',
            registered_at=NOW,
            lease_ttl_seconds=3.0,
        )
    assert store.modules() == []
    assert store.leases() == []


async def test_the_event_log_keeps_a_refused_batch_and_stores_it_without_a_gap(
    store, disk, monkeypatch
):
    monkeypatch.setattr(event_log, "RETRY_SECONDS", 0.01)
    log = EventLog(store.events, SystemClock())
    log.emit("order.submitted", "ord-00001", "before the disk filled")
    await log.flush()
    disk.fill()
    for n in range(50):  # 50 large events: more than the pages left
        log.emit("note", f"subject-{n}", "y" * 4_000)
    with pytest.raises(StorageFull):
        await log.flush()
    assert store.events.last_sequence() == 1
    seen = [e.sequence async for e in log.watch(after=0, follow=False)]
    assert seen == [1]  # watchers see what is stored, and are not refused
    log.start()  # the writer retries by itself
    try:
        await asyncio.sleep(0.05)
        assert store.events.last_sequence() == 1  # still full: still kept, not lost
        disk.free()
        async with asyncio.timeout(30):
            while store.events.last_sequence() < 51:
                await asyncio.sleep(0.01)
    finally:
        await log.stop()
    stored = [e.sequence for e in store.events.after(0)]
    assert stored == list(range(1, 52))
