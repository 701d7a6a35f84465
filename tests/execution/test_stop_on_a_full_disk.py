"""A graceful stop on a full disk still stops: the events the store refuses are lost,
one warning says how many, and the stop does not raise (``pnp serve`` then prints what
it left running and exits 0)."""

from __future__ import annotations

import logging

from pnp.orchestrator.errors import StorageFull
from pnp.orchestrator.execution.memory_link import MemoryLinks
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.store import Store
from tests.execution.test_executor_on_memory_modules import SETTINGS


async def test_a_stop_on_a_full_disk_says_how_many_events_were_not_stored(tmp_path, caplog):
    store = Store.open_sqlite(tmp_path / "pnp.db")
    factory = Factory(store, settings=SETTINGS, link_factory=MemoryLinks())
    await factory.start()

    def disk_full(*_args) -> None:
        raise StorageFull("the database's disk is full: database or disk is full")

    store.events.append = disk_full  # type: ignore[method-assign]
    factory.events.emit("test.one", "factory", "refused")
    factory.events.emit("test.two", "factory", "refused")
    try:
        await factory.stop()
    finally:
        store.close()
    stop_warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "on stop" in r.getMessage()
    ]
    assert stop_warnings == [
        "2 events not stored on stop: the database's disk is full: database or disk is full"
    ]
