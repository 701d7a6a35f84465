"""Shared fixtures: a real orchestrator on a loopback port, and simulated modules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pnp.orchestrator.api.server import start_server
from pnp.orchestrator.domain.layout import load_layout_file
from pnp.orchestrator.service.factory import Factory, FactorySettings
from pnp.orchestrator.store import Store

REPO = Path(__file__).resolve().parents[1]
RECIPES = REPO / "recipes"
DEMO_LAYOUT = RECIPES / "layouts" / "demo-factory.yaml"


class RunningFactory:
    """An orchestrator serving on 127.0.0.1:<port 0>, with a real SQLite file."""

    def __init__(self, factory: Factory, server, db_path: Path, layout, settings) -> None:
        self.factory = factory
        self.server = server
        self.db_path = db_path
        self._layout = layout
        self._settings = settings
        self._module_tasks: list[asyncio.Task] = []
        self._stopped = False
        self._port = server.port

    @property
    def address(self) -> str:
        return self.server.address

    async def plug_in(self, kind: str, dock: str, **config):
        """Starts a simulated module and waits until its session is acknowledged."""
        from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig

        simulated = SimulatedModule(
            SimulatedModuleConfig(kind=kind, dock=dock, orchestrator=self.address, **config)
        )
        task = asyncio.create_task(simulated.run())
        self._module_tasks.append(task)
        registered = asyncio.create_task(simulated.client.registered.wait())
        done, _ = await asyncio.wait(
            {registered, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if registered not in done:
            registered.cancel()
            if task.done():
                task.result()  # raises why the module stopped
            raise TimeoutError(f"{simulated.module_id} did not register")
        return simulated

    async def restart_orchestrator(self) -> None:
        """Stops the orchestrator and starts a new one on the same port and database;
        the modules keep running and must find their way back on their own."""
        await self.stop_orchestrator()
        await self.start_orchestrator()

    async def stop_orchestrator(self) -> None:
        """Stops the orchestrator only; modules keep running (and retrying)."""
        self._port = self.server.port
        await self._stop_orchestrator()
        self._stopped = True

    async def start_orchestrator(self) -> None:
        """Starts a new orchestrator on the stopped one's port and database."""
        self.factory = Factory(
            Store.open_sqlite(self.db_path), layout=self._layout, settings=self._settings
        )
        await self.factory.start()
        self.server = await start_server(self.factory, f"127.0.0.1:{self._port}")
        self._stopped = False

    async def _stop_orchestrator(self) -> None:
        await self.server.stop(grace=0.2)
        await self.factory.stop()
        self.factory.store.close()

    async def close(self) -> None:
        for task in self._module_tasks:
            task.cancel()
        await asyncio.gather(*self._module_tasks, return_exceptions=True)
        if not self._stopped:
            await self._stop_orchestrator()


async def start_factory(
    tmp_path: Path, *, layout: Path | None = DEMO_LAYOUT, **settings
) -> RunningFactory:
    db_path = tmp_path / "pnp.db"
    loaded_layout = load_layout_file(layout) if layout else None
    factory_settings = FactorySettings(**{"solve_time_limit": 5.0, **settings})
    factory = Factory(Store.open_sqlite(db_path), layout=loaded_layout, settings=factory_settings)
    await factory.start()
    server = await start_server(factory, "127.0.0.1:0")
    return RunningFactory(factory, server, db_path, loaded_layout, factory_settings)


@pytest.fixture
async def running_factory(tmp_path):
    running = await start_factory(tmp_path)
    try:
        yield running
    finally:
        await running.close()
