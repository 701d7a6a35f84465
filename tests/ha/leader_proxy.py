"""One stable address in front of replicated orchestrators, for clients that know only
one address: a TCP forwarder that sends each new connection to the replica that leads
now, and cuts the open ones when the leader changes (as a load balancer with a health
check would).

It finds the leader in the database (``Leadership.status``, what `pnp cluster status`
shows). The SDK's and the CLI's own failover over a comma-separated list of replicas
(following a standby's ``pnp-leader`` redirect) is being built separately; until it
lands, the chaos test puts its modules and its client behind this.
"""

from __future__ import annotations

import asyncio
import contextlib

from pnp.orchestrator.store.engines import database_target, open_engine
from pnp.orchestrator.store.leadership import Leadership


class LeaderProxy:
    def __init__(self, database_url: str) -> None:
        self._engine = open_engine(database_target(database_url))
        self._leadership = Leadership(self._engine)
        self.leader = ""
        self.changes = 0
        self._open: set[asyncio.StreamWriter] = set()
        self._forwarding: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None
        self._watching: asyncio.Task | None = None

    @property
    def address(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
        self._watching = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            await asyncio.gather(self._watching, return_exceptions=True)
        if self._server is not None:
            self._server.close()
        self._cut()
        for task in self._forwarding:
            task.cancel()
        await asyncio.gather(*self._forwarding, return_exceptions=True)
        self._engine.dispose()

    async def _watch(self) -> None:
        while True:
            try:
                lease = (await asyncio.to_thread(self._leadership.status)).lease
                leader = lease.holder.address if lease.live and lease.holder else ""
            except Exception:
                leader = self.leader  # the database hiccuped: keep what we had
            if leader != self.leader:
                self.leader = leader
                self.changes += 1
                self._cut()
            await asyncio.sleep(0.2)

    def _cut(self) -> None:
        for writer in list(self._open):
            writer.close()
        self._open.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._forwarding.add(task)
        try:
            await self._connect(reader, writer)
        except asyncio.CancelledError:
            writer.close()  # the proxy is stopping
        finally:
            self._forwarding.discard(task)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target = self.leader
        if not target:
            writer.close()
            return
        host, port = target.rsplit(":", 1)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        self._open.update((writer, upstream_writer))
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self._open.discard(end)
                end.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError, RuntimeError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()
