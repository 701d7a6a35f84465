"""Registrations that arrive together are committed together (``service.group_commit``),
and each is still answered only once it is durable, with the epoch and dock checks it
would get alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from pnp.orchestrator.errors import Conflict
from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.settings import FactorySettings
from pnp.orchestrator.store import Store

SETTINGS = FactorySettings(solve_time_limit=1.0, heartbeat_interval=60, lease_ttl=3600)


@asynccontextmanager
async def factory_on(db: Path) -> AsyncIterator[Factory]:
    factory = Factory(Store.open_sqlite(db), settings=SETTINGS, link_factory=MemoryLinks())
    await factory.start()
    try:
        yield factory
    finally:
        await factory.stop()
        factory.store.close()


def module(n: int) -> MemoryModule:
    return MemoryModule(f"cell-{n:03d}", ["cutting.laser"])


async def test_a_herd_of_registrations_is_committed_in_a_few_groups_and_all_are_durable(
    tmp_path,
):
    async with factory_on(tmp_path / "pnp.db") as factory:
        herd = [module(n) for n in range(200)]
        entries = await asyncio.gather(
            *(
                factory.register_module(m.describe(dock=f"D{n}"), f"boot-{n}")
                for n, m in enumerate(herd)
            )
        )
        assert [e.epoch for e in entries] == [1] * 200
        assert factory.registrations.groups < 20  # not one commit per module
        stored = {m.module_id: m.epoch for m in factory.store.modules()}
        assert stored == {m.module_id: 1 for m in herd}  # durable before the answers
        assert len(factory.store.leases()) == 200


async def test_two_modules_for_one_dock_in_one_group_one_is_refused(tmp_path):
    async with factory_on(tmp_path / "pnp.db") as factory:
        first, second = await asyncio.gather(
            factory.register_module(module(1).describe(dock="A1"), "b1"),
            factory.register_module(module(2).describe(dock="A1"), "b2"),
            return_exceptions=True,
        )
        assert first.module_id == "cell-001"
        assert isinstance(second, Conflict)
        assert "dock A1 is taken by module cell-001" in str(second)
        assert [m.module_id for m in factory.store.modules()] == ["cell-001"]


async def test_a_module_registering_twice_in_one_group_gets_the_epochs_it_would_alone(
    tmp_path,
):
    async with factory_on(tmp_path / "pnp.db") as factory:
        cell = module(1).describe(dock="A1")
        retry, same_boot, new_boot = await asyncio.gather(
            factory.register_module(cell, "b1"),
            factory.register_module(cell, "b1"),
            factory.register_module(cell, "b2"),
        )
        assert (retry.epoch, same_boot.epoch, new_boot.epoch) == (1, 1, 2)
        assert factory.registry.get("cell-001").epoch == 2
        [stored] = factory.store.modules()
        assert (stored.epoch, stored.boot_id) == (2, "b2")


async def test_a_refused_registration_leaves_the_rest_of_its_group_registered(tmp_path):
    async with factory_on(tmp_path / "pnp.db") as factory:
        results = await asyncio.gather(
            factory.register_module(module(1).describe(dock="A1"), "b1"),
            factory.register_module(module(2).describe(dock="A1"), "b2"),
            factory.register_module(module(3).describe(dock="A3"), "b3"),
            return_exceptions=True,
        )
        assert [type(r).__name__ for r in results] == ["ModuleEntry", "Conflict", "ModuleEntry"]
        assert sorted(m.module_id for m in factory.store.modules()) == ["cell-001", "cell-003"]
        with pytest.raises(Conflict):
            await factory.register_module(module(4).describe(dock="A3"), "b4")
