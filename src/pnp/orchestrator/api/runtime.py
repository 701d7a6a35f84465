"""One way to run an orchestrator in a process: ``open_orchestrator``.

It opens the store, takes the leader lease (store/leadership.py), starts the factory
(event log, plan keeper, executor, lease sweeper) and then the gRPC server, and on the
way out stops them in reverse order: the server first (no new calls), then the
factory, then gives the lease back (a standby takes over at once) and closes the store
(an SQLite file checkpointed: no -wal or -shm file left). A graceful stop (``pnp
serve`` on SIGINT/SIGTERM) calls ``halt`` first, so that no Start goes out while the
rest stops; attempts in flight (``in_flight``) stay in the store as they are, and the
next start asks their modules about them, as after a crash. ``pnp serve``, ``pnp demo``,
the test fixtures and the benchmarks all start an orchestrator this way::

    async with open_orchestrator("pnp.db", listen="127.0.0.1:0") as orchestrator:
        print(orchestrator.address)

Only the leader writes. When another replica holds a live lease, it either refuses to
start (``LeaderActive``, naming the holder, nothing written) or, with ``standby``,
serves the standby's redirect (api/standby.py) on its listen address until the lease
is free, then takes over: the same start as after a restart (reload the state, ask the
modules about executions in flight, dispatch). Once leading, a thread renews the lease
and every write checks the term; when either finds the term gone, ``deposed`` is set
at once and the owner of the block steps down.

It lives in the api layer because it is the lowest layer that sees both the server
and the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from pnp.orchestrator.api.server import RunningServer, start_server
from pnp.orchestrator.api.standby import start_standby_server
from pnp.orchestrator.clock import Clock
from pnp.orchestrator.domain.attempts import Attempt
from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.errors import Deposed
from pnp.orchestrator.execution.link import LinkFactory
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.settings import FactorySettings
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.engines import Database
from pnp.orchestrator.store.leadership import LeaderActive, Lease, Replica
from pnp.orchestrator.store.lease_keeper import LeaseKeeper, LeaseSettings, wait_to_lead

log = logging.getLogger(__name__)


@dataclass
class RunningOrchestrator:
    factory: Factory
    server: RunningServer
    store: Store
    replica: Replica
    term: int
    # Set (on the event loop) the moment this replica learns it no longer leads.
    deposed: asyncio.Event = field(default_factory=asyncio.Event)
    deposed_because: str = ""

    @property
    def address(self) -> str:
        """Where to reach it: 127.0.0.1:<port>."""
        return self.server.address

    @property
    def port(self) -> int:
        return self.server.port

    def halt(self) -> None:
        """A graceful stop begins: no Start is sent from now on (synchronous, for a
        signal's callback); the block's end then stops the rest."""
        self.factory.executor.halt()

    def in_flight(self) -> list[Attempt]:
        """The attempts starting or running, which a stop leaves in the store for the
        next start to ask their modules about (QueryExecution)."""
        return self.factory.executor.in_flight()

    @property
    def database(self) -> Database:
        return self.store.database

    @property
    def db_path(self) -> Path | None:
        """The SQLite file (None on PostgreSQL)."""
        return self.store.database.path


@contextlib.asynccontextmanager
async def open_orchestrator(
    db_path: str | Path | Database,
    *,
    listen: str = "127.0.0.1:0",
    layout: Layout | None = None,
    settings: FactorySettings | None = None,
    tls: TlsFiles | None = None,
    clock: Clock | None = None,
    link_factory: LinkFactory | None = None,
    synchronous: str = "FULL",
    stop_grace: float = 1.0,
    lease: LeaseSettings | None = None,
    standby: bool = False,
    advertise: str | None = None,
    on_standby: Callable[[str], None] | None = None,
    password_file: Path | None = None,
) -> AsyncIterator[RunningOrchestrator]:
    """An orchestrator serving on ``listen`` (port 0 picks one) from the database
    ``db_path`` (an SQLite path, or a postgresql:// URL), with mutual TLS if ``tls``;
    stopped cleanly when the block ends.

    ``link_factory`` replaces the executor's OPC UA links (``execution.memory_link``
    has an in-memory one); ``synchronous`` is SQLite's (FULL unless benchmarking);
    ``stop_grace`` is how long calls in progress may finish at the end. ``lease``
    times the leader lease; ``standby`` waits for it (serving the redirect, and
    calling ``on_standby`` with the address it listens on) instead of refusing to
    start; ``advertise`` is the address other replicas send clients to.
    """
    lease = lease or LeaseSettings()
    store = Store.open(
        db_path,
        synchronous=synchronous,
        password_file=password_file,
        idle_transaction_seconds=lease.ttl,
    )
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(store.close)
        loop = asyncio.get_running_loop()
        deposed = asyncio.Event()
        reasons: list[str] = []

        def step_down(why: str) -> None:  # from any thread
            reasons.append(why)
            loop.call_soon_threadsafe(deposed.set)

        acquired_at = time.monotonic()
        if standby:
            term, acquired_at, me, listen = await _stand_by(
                store, lease, listen, tls, advertise, on_standby
            )
        else:
            me = Replica.this_process(advertise or listen)
            got = await asyncio.to_thread(
                store.leadership.try_acquire, me, lease.ttl, dead_local_holder_ok=True
            )
            if isinstance(got, Lease):
                raise LeaderActive(got, str(store.database))
            term = got
        keeper = LeaseKeeper(store.leadership, me, term, lease, step_down, acquired_at=acquired_at)
        store.fence.arm(term, lambda deposed_error: step_down(deposed_error.message), keeper.lapsed)
        stack.callback(_release, store, keeper)
        keeper.start()
        stack.callback(keeper.stop)
        log.info("leading at term %d (%s)", term, me.describe())

        factory = Factory(
            store, layout=layout, settings=settings, clock=clock, link_factory=link_factory
        )
        await factory.start()
        stack.push_async_callback(_stop_factory, factory, store, keeper)
        server = await start_server(factory, listen, tls)
        stack.push_async_callback(server.stop, stop_grace)
        bound = _address(listen, server.port, advertise)
        if bound != me.address:
            me = Replica(me.replica_id, me.host, me.pid, bound)
            keeper.me = me
            await asyncio.to_thread(store.leadership.set_address, term, bound)
        # What is alive now (code, libraries, stored orders) lives as long as we do:
        # out of the collector's sight, so a full collection does not stall the event
        # loop for most of a second scanning it (measured: 0.8 s on a loaded machine).
        gc.freeze()
        running = RunningOrchestrator(factory, server, store, me, term, deposed)
        deposed_watch = asyncio.create_task(_note_reason(running, reasons), name="deposed")
        stack.callback(deposed_watch.cancel)
        yield running


async def _stand_by(
    store: Store,
    lease: LeaseSettings,
    listen: str,
    tls: TlsFiles | None,
    advertise: str | None,
    on_standby: Callable[[str], None] | None,
) -> tuple[int, float, Replica, str]:
    """Serves the redirect until this replica holds the lease; returns its term, when it
    asked for it (monotonic), its identity and the address to serve on (the standby's
    own port)."""
    leader = {"address": ""}

    def seen(held: Lease) -> None:
        leader["address"] = held.holder.address if held.live and held.holder else ""

    seen(await asyncio.to_thread(store.leadership.read))  # known before the first answer
    server = await start_standby_server(listen, tls, lambda: leader["address"])
    stop = threading.Event()
    try:
        listen = f"{listen.rsplit(':', 1)[0]}:{server.port}"
        me = Replica.this_process(_address(listen, server.port, advertise))
        if on_standby is not None:
            on_standby(me.address)
        waiting = asyncio.ensure_future(
            asyncio.to_thread(wait_to_lead, store.leadership, me, lease, stop, seen)
        )
        try:
            led = await asyncio.shield(waiting)
        except asyncio.CancelledError:
            stop.set()
            await asyncio.wait({waiting})
            # Stopped just as the lease was taken: given back, or the next standby
            # would wait out a lease that nobody uses.
            acquired = None if waiting.exception() is not None else waiting.result()
            term = acquired[0] if acquired is not None else 0
            with contextlib.suppress(Exception):
                if term:
                    await asyncio.to_thread(store.leadership.release, term)
                await asyncio.to_thread(store.leadership.heartbeat, me, "stopped", term)
            raise
        assert led is not None
        term, asked = led
        return term, asked, me, listen
    finally:
        stop.set()
        await server.stop()


def _address(listen: str, port: int, advertise: str | None) -> str:
    if advertise:
        return advertise
    host = listen.rsplit(":", 1)[0]
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = socket.gethostname()
    return f"{host}:{port}"


async def _stop_factory(factory: Factory, store: Store, keeper: LeaseKeeper) -> None:
    deposed = store.fence.deposed.message if store.fence.deposed else keeper.lapsed()
    if deposed:
        # Recorded as any decision is; the fence refuses it (and says so in the log),
        # since another replica leads now.
        factory.events.emit("orchestrator.stepped_down", "cluster", deposed)
    try:
        await factory.stop()
    except Deposed:
        if store.fence.deposed is None:
            raise
        # Deposed: the last writes it tried (the event log's flush) are refused, as they
        # must be.


def _release(store: Store, keeper: LeaseKeeper) -> None:
    try:
        store.leadership.release(keeper.term)
        store.leadership.heartbeat(keeper.me, "deposed" if keeper.lost else "stopped", keeper.term)
    except Exception as error:  # the database is gone: the lease runs out by itself
        log.warning("could not give the lease back: %s", error)


async def _note_reason(running: RunningOrchestrator, reasons: list[str]) -> None:
    await running.deposed.wait()
    running.deposed_because = reasons[0] if reasons else "deposed"
