"""A fault-injecting TCP proxy: the cable, switch and firewall between two processes.

The network-fault tests (tests/faults/) and the soak bench (bench/soak.py) put one
between the orchestrator and each module, on both paths: the module's gRPC session
(module -> orchestrator) and the orchestrator's OPC UA link (orchestrator -> module,
which dials the proxy because the module advertises the proxy's address with
``pnp module run --advertise-opcua``). Then, on cue::

    proxy = FaultProxy(upstream=("127.0.0.1", 50051))
    await proxy.start()            # proxy.address: what the client is told to dial
    proxy.delay(0.2)               # every byte 200 ms late, both ways, order kept
    proxy.drop(Direction.DOWN)     # one direction cut: server -> client held, up flows
    proxy.drop()                   # both ways held; connections stay open, new ones too
    proxy.blackhole()              # both ways held, and new connections never answered
    proxy.reset()                  # every open connection torn down with a TCP RST
    proxy.reset(refuse=True)       # ... and every new one too, until healed
    proxy.heal()                   # a straight wire again; what was held is delivered

Held bytes are kept in order and delivered on heal, as TCP delivers them after a
partition that heals before either end gives up; an end that gave up meanwhile closed
its socket, and its close is held and delivered the same way. A connection accepted
while blackholed dials the upstream only once healed: for the client it is a SYN that
was never answered, until it was. No library did this: toxiproxy is a Go daemon (not
a Python package) and Python's TCP proxies on PyPI forward without faults.

Directions are named from the client (the side that dialled): ``UP`` is client to
server, ``DOWN`` server to client.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from dataclasses import dataclass, field

CHUNK = 64 * 1024
HELD_CHUNKS = 256  # per direction and connection: beyond that the proxy stops reading


class Direction(enum.Enum):
    UP = "up"  # client -> server
    DOWN = "down"  # server -> client


BOTH = (Direction.UP, Direction.DOWN)


@dataclass
class ProxyStats:
    connections: int = 0  # accepted
    resets: int = 0  # connections torn down by reset()
    bytes: dict[Direction, int] = field(default_factory=lambda: dict.fromkeys(Direction, 0))


class _Connection:
    """One client connection and its upstream, with a pump per direction."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task] = []
        self.serving = asyncio.current_task()  # waits to be answered, then for the pumps

    def abort(self) -> None:
        """Close both sockets at once with RST (SO_LINGER 0), not an orderly FIN."""
        for writer in (self.client, self.upstream):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()
        if self.serving is not None and self.serving is not asyncio.current_task():
            self.serving.cancel()


class FaultProxy:
    def __init__(
        self, upstream: tuple[str, int] | None = None, *, host: str = "127.0.0.1", name: str = ""
    ) -> None:
        """``upstream``: where to forward; None until ``set_upstream`` (connections made
        before then wait for it, e.g. while the module behind is still starting)."""
        self.name = name
        self.host = host
        self.port = 0
        self.stats = ProxyStats()
        self._upstream = upstream
        self._upstream_known = asyncio.Event()
        if upstream is not None:
            self._upstream_known.set()
        self._open = {d: asyncio.Event() for d in Direction}  # set: forwarding
        self._delay = dict.fromkeys(Direction, 0.0)
        self._answering = asyncio.Event()  # cleared while blackholed
        self._refusing = False
        self._connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self.heal()

    # -- life -----------------------------------------------------------------------------

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.abort()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *_) -> None:
        await self.close()

    @property
    def address(self) -> str:
        """HOST:PORT, for a gRPC target."""
        return f"{self.host}:{self.port}"

    @property
    def opcua_endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}"

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def set_upstream(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._upstream_known.set()

    # -- faults ---------------------------------------------------------------------------

    def heal(self) -> None:
        """A straight wire: no delay, nothing held, new connections answered."""
        for direction in Direction:
            self._delay[direction] = 0.0
            self._open[direction].set()
        self._refusing = False
        self._answering.set()

    def delay(self, seconds: float, direction: Direction | None = None) -> None:
        """Every byte from now on arrives ``seconds`` late (in order) in ``direction``
        (None: both)."""
        for d in _directions(direction):
            self._delay[d] = seconds

    def drop(self, direction: Direction | None = None) -> None:
        """Stop forwarding in ``direction`` (None: both); connections stay open and new
        ones are still made. Dropping one direction is a one-way cut."""
        for d in _directions(direction):
            self._open[d].clear()

    def blackhole(self) -> None:
        """Nothing passes either way, and new connections are never answered."""
        self.drop()
        self._answering.clear()

    def reset(self, *, refuse: bool = False) -> int:
        """Tear down every open connection with RST; with ``refuse``, every new one too
        until ``heal``. Returns how many were torn down."""
        self._refusing = self._refusing or refuse
        torn = list(self._connections)
        for connection in torn:
            connection.abort()
        self.stats.resets += len(torn)
        return len(torn)

    @property
    def faulty(self) -> bool:
        return (
            not self._answering.is_set()
            or self._refusing
            or any(not e.is_set() for e in self._open.values())
            or any(self._delay.values())
        )

    # -- forwarding -----------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(writer)
        self._connections.add(connection)
        self.stats.connections += 1
        try:
            if self._refusing:
                connection.abort()
                return
            await self._answering.wait()
            await self._upstream_known.wait()
            assert self._upstream is not None
            try:
                up_reader, up_writer = await asyncio.open_connection(*self._upstream)
            except OSError:  # nobody listens upstream: the client sees its connection reset
                connection.abort()
                return
            connection.upstream = up_writer
            if self._refusing:
                connection.abort()
                return
            connection.tasks = [
                asyncio.create_task(self._pump(reader, up_writer, Direction.UP)),
                asyncio.create_task(self._pump(up_reader, writer, Direction.DOWN)),
            ]
            await asyncio.gather(*connection.tasks, return_exceptions=True)
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(connection)
            for stream in (writer, connection.upstream):
                if stream is not None:
                    stream.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: Direction
    ) -> None:
        """Reads as bytes arrive (stamped), forwards them when the direction is open and
        their delay has passed; an end of stream is forwarded the same way."""
        held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(HELD_CHUNKS)
        loop = asyncio.get_running_loop()

        async def read() -> None:
            while True:
                try:
                    data = await reader.read(CHUNK)
                except (ConnectionError, OSError):
                    data = b""
                await held.put((loop.time(), data))
                if not data:
                    return

        reading = asyncio.create_task(read())
        try:
            while True:
                arrived, data = await held.get()
                await self._open[direction].wait()
                late = arrived + self._delay[direction] - loop.time()
                if late > 0:
                    await asyncio.sleep(late)
                    await self._open[direction].wait()  # dropped while it waited
                if not data:
                    with contextlib.suppress(OSError, RuntimeError):
                        if writer.can_write_eof():
                            writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
                self.stats.bytes[direction] += len(data)
        except (ConnectionError, OSError):
            # The far end is gone: so is this connection, both ways, at once.
            writer.transport.abort()
            raise
        finally:
            reading.cancel()


def _directions(direction: Direction | None) -> tuple[Direction, ...]:
    return BOTH if direction is None else (direction,)
