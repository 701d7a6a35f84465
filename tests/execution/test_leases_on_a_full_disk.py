"""The lease sweeper outlives a full disk: a lease that runs out while the disk is full
is still decided (the module lost, its work replanned); only its row in the store stays
open, and the sweeper goes on with the next module (one warning, no traceback)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from pnp.orchestrator.errors import StorageFull
from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from pnp.orchestrator.registry import Liveness
from pnp.orchestrator.service.factory import Factory, FactorySettings
from pnp.orchestrator.store import Store
from tests.execution.test_executor_on_memory_modules import CUT, until

# Leases that run out quickly: these modules never open a session to renew them.
SHORT = FactorySettings(solve_time_limit=1.0, heartbeat_interval=0.05, lease_ttl=0.2)


async def test_leases_expire_while_the_disk_is_full(tmp_path, caplog):
    lasers = [MemoryModule(f"laser-{n}", [CUT]) for n in range(2)]
    factory = Factory(
        Store.open_sqlite(tmp_path / "pnp.db"), settings=SHORT, link_factory=MemoryLinks(*lasers)
    )
    await factory.start()

    def disk_full(*_args) -> None:
        raise StorageFull("the database's disk is full: database or disk is full")

    factory.store.end_lease = disk_full  # type: ignore[method-assign]
    try:
        for n, laser in enumerate(lasers):
            await factory.register_module(laser.describe(dock=f"A{n + 1}"), "b1")
            await until(lambda m=laser: factory.registry.get(m.module_id).liveness is Liveness.LOST)
    finally:
        await factory.stop()
        factory.store.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "recording ended leases waits for space (their rows stay open until the modules "
        "register again): the database's disk is full: database or disk is full"
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_the_sweeper_outlives_any_other_store_error(tmp_path, caplog):
    """A database that restarts or a locked file is logged with its traceback, and the
    next lease that runs out is still decided."""
    lasers = [MemoryModule(f"laser-{n}", [CUT]) for n in range(2)]
    factory = Factory(
        Store.open_sqlite(tmp_path / "pnp.db"), settings=SHORT, link_factory=MemoryLinks(*lasers)
    )
    await factory.start()

    def database_restarting(*_args) -> None:
        raise OperationalError("UPDATE leases", {}, Exception("server closed the connection"))

    factory.store.end_lease = database_restarting  # type: ignore[method-assign]

    def failure_logged(module_id: str) -> bool:  # logged just after the module is lost
        return any(module_id in r.getMessage() for r in caplog.records)

    try:
        for n, laser in enumerate(lasers):
            await factory.register_module(laser.describe(dock=f"A{n + 1}"), "b1")
            await until(lambda m=laser: factory.registry.get(m.module_id).liveness is Liveness.LOST)
            await until(lambda m=laser: failure_logged(m.module_id))
    finally:
        await factory.stop()
        factory.store.close()
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == [
        "recording the end of laser-0's lease (epoch 1) failed",
        "recording the end of laser-1's lease (epoch 1) failed",
    ]
    assert all(r.exc_info is not None for r in failures)
