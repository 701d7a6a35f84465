"""One way to run an orchestrator in a process: ``open_orchestrator``.

It opens the store, starts the factory (event log, plan keeper, executor, lease
sweeper) and then the gRPC server, and on the way out stops them in reverse order:
the server first (no new calls), then the factory, then the store. ``pnp serve``,
``pnp demo``, the test fixtures and the benchmarks all start an orchestrator this way::

    async with open_orchestrator("pnp.db", listen="127.0.0.1:0") as orchestrator:
        print(orchestrator.address)

It lives in the api layer because it is the lowest layer that sees both the server
and the service.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pnp.orchestrator.api.server import RunningServer, start_server
from pnp.orchestrator.clock import Clock
from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.execution.link import LinkFactory
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.settings import FactorySettings
from pnp.orchestrator.store import Store


@dataclass(frozen=True)
class RunningOrchestrator:
    factory: Factory
    server: RunningServer
    store: Store
    db_path: Path

    @property
    def address(self) -> str:
        """Where to reach it: 127.0.0.1:<port>."""
        return self.server.address

    @property
    def port(self) -> int:
        return self.server.port


@contextlib.asynccontextmanager
async def open_orchestrator(
    db_path: str | Path,
    *,
    listen: str = "127.0.0.1:0",
    layout: Layout | None = None,
    settings: FactorySettings | None = None,
    tls: TlsFiles | None = None,
    clock: Clock | None = None,
    link_factory: LinkFactory | None = None,
    synchronous: str = "FULL",
    stop_grace: float = 1.0,
) -> AsyncIterator[RunningOrchestrator]:
    """An orchestrator serving on ``listen`` (port 0 picks one) from the SQLite file
    ``db_path``, with mutual TLS if ``tls``; stopped cleanly when the block ends.

    ``link_factory`` replaces the executor's OPC UA links (``execution.memory_link``
    has an in-memory one); ``synchronous`` is SQLite's (FULL unless benchmarking);
    ``stop_grace`` is how long calls in progress may finish at the end.
    """
    path = Path(db_path)
    store = Store.open_sqlite(path, synchronous=synchronous)
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(store.close)
        factory = Factory(
            store, layout=layout, settings=settings, clock=clock, link_factory=link_factory
        )
        await factory.start()
        stack.push_async_callback(factory.stop)
        server = await start_server(factory, listen, tls)
        stack.push_async_callback(server.stop, stop_grace)
        # What is alive now (code, libraries, stored orders) lives as long as we do:
        # out of the collector's sight, so a full collection does not stall the event
        # loop for most of a second scanning it (measured: 0.8 s on a loaded machine).
        gc.freeze()
        yield RunningOrchestrator(factory, server, store, path)
