"""Shared fixtures: a real orchestrator on a loopback port, and simulated modules."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from pnp.orchestrator.api.runtime import RunningOrchestrator, open_orchestrator
from pnp.orchestrator.domain.layout import load_layout_file
from pnp.orchestrator.service.factory import Factory, FactorySettings
from tests.postgres import postgres_cluster, postgres_url  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[1]
RECIPES = REPO / "recipes"
DEMO_LAYOUT = RECIPES / "layouts" / "demo-factory.yaml"


class RunningFactory:
    """An orchestrator serving on 127.0.0.1:<port 0>, with a real SQLite file; it can be
    stopped and started again on the same port and database while modules run on."""

    def __init__(self, db_path: Path, layout, settings) -> None:
        self.db_path = db_path
        self._layout = layout
        self._settings = settings
        self._module_tasks: list[asyncio.Task] = []
        self._orchestrator: RunningOrchestrator | None = None
        self._stack = contextlib.AsyncExitStack()
        self._port = 0

    @property
    def factory(self) -> Factory:
        """The current orchestrator's factory (the last one's, once stopped)."""
        assert self._orchestrator is not None, "the orchestrator was never started"
        return self._orchestrator.factory

    @property
    def server(self):
        assert self._orchestrator is not None, "the orchestrator was never started"
        return self._orchestrator.server

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
        await self._stack.aclose()

    async def start_orchestrator(self) -> None:
        """Starts a new orchestrator on the stopped one's port (or a free one, the
        first time) and the same database."""
        self._stack = contextlib.AsyncExitStack()
        self._orchestrator = await self._stack.enter_async_context(
            open_orchestrator(
                self.db_path,
                listen=f"127.0.0.1:{self._port}",
                layout=self._layout,
                settings=self._settings,
                stop_grace=0.2,
            )
        )
        self._port = self._orchestrator.port

    async def close(self) -> None:
        for task in self._module_tasks:
            task.cancel()
        await asyncio.gather(*self._module_tasks, return_exceptions=True)
        await self.stop_orchestrator()


async def start_factory(
    tmp_path: Path, *, layout: Path | None = DEMO_LAYOUT, **settings
) -> RunningFactory:
    db_path = tmp_path / "pnp.db"
    loaded_layout = load_layout_file(layout) if layout else None
    factory_settings = FactorySettings(**{"solve_time_limit": 5.0, **settings})
    running = RunningFactory(db_path, loaded_layout, factory_settings)
    await running.start_orchestrator()
    return running


@pytest.fixture
async def running_factory(tmp_path):
    running = await start_factory(tmp_path)
    try:
        yield running
    finally:
        await running.close()
