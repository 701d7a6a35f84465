"""Other orchestrator replicas, as clients and modules see them, for the failover tests.

- ``Standby``: a standby replica as the cluster contract defines it (``pnp.v1.cluster``):
  a real grpc.aio server on a loopback port that answers every call, of any service,
  with UNAVAILABLE and the leader's address in the ``pnp-leader`` trailing metadata.
- ``StaleLeader``: a replica that still believes it leads with an old term (a leader
  that was paused past its lease and woke up): a real grpc.aio ModuleRegistry that
  grants registrations, acknowledges heartbeats and sends the directives it is given,
  all with its term.

Both stand in for peers of the orchestrator under test (which is always a real one),
not for anything a user runs alone.
"""

from __future__ import annotations

import asyncio
import random
import socket
from pathlib import Path

import grpc
from google.protobuf import duration_pb2
from sqlalchemy import update

from pnp.orchestrator.store import Store, schema
from pnp.v1 import registry_pb2, registry_pb2_grpc
from pnp.v1.cluster import LEADER_METADATA_KEY


def free_port() -> int:
    """A loopback port nothing listens on (now): a replica that died, or is yet to come.

    Drawn below the kernel's ephemeral range, not with ``bind(0)``: a port from that
    range can be handed to any other socket bound to port 0 before the replica binds
    it, and a client that keeps dialling a dead ephemeral port on loopback can end up
    connected to itself on it (TCP simultaneous open), so the replica's bind fails.
    """
    low = _ephemeral_range()[0]
    for port in random.sample(range(max(1024, low - 12_000), low), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port below the ephemeral range")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


class Standby:
    """``async with Standby(leader="127.0.0.1:5000") as standby: standby.address``"""

    def __init__(self, leader: str = "") -> None:
        self.leader = leader  # "" while no leader is known
        self.calls: list[str] = []  # the full method names it was asked, in order
        self._server: grpc.aio.Server | None = None
        self.address = ""

    async def __aenter__(self) -> Standby:
        self._server = grpc.aio.server()
        self._server.add_generic_rpc_handlers((_Refusing(self),))
        port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()
        self.address = f"127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info) -> None:
        assert self._server is not None
        await self._server.stop(0)

    async def refuse(self, context: grpc.aio.ServicerContext) -> None:
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            "a standby replica: call the leader",
            trailing_metadata=((LEADER_METADATA_KEY, self.leader),),
        )


class _Refusing(grpc.GenericRpcHandler):
    """Any method of any service, refused; the handler's shape follows the method's."""

    def __init__(self, standby: Standby) -> None:
        self.standby = standby

    def service(self, handler_call_details):
        method = handler_call_details.method
        self.standby.calls.append(method)
        refuse = self.standby.refuse

        async def unary(_request, context):
            await refuse(context)

        async def streaming(_requests, context):
            await refuse(context)

        if method.endswith("/Session"):  # the registry session: a stream both ways
            return grpc.stream_stream_rpc_method_handler(streaming)
        if method.endswith("/WatchEvents"):  # a server stream
            return grpc.unary_stream_rpc_method_handler(unary)
        return grpc.unary_unary_rpc_method_handler(unary)


def _seconds(value: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(value * 1e9))
    return duration


class StaleLeader(registry_pb2_grpc.ModuleRegistryServicer):
    """``async with StaleLeader(term=1) as stale: stale.address``; counts what it serves."""

    def __init__(self, term: int, directives: list[registry_pb2.Directive] | None = None) -> None:
        self.term = term
        self.directives = list(directives or [])  # sent once, right after the hello
        self.registrations = 0
        self.sessions = 0
        self.session_opened = asyncio.Event()
        self._server: grpc.aio.Server | None = None
        self.address = ""

    async def __aenter__(self) -> StaleLeader:
        self._server = grpc.aio.server()
        registry_pb2_grpc.add_ModuleRegistryServicer_to_server(self, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()
        self.address = f"127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info) -> None:
        assert self._server is not None
        await self._server.stop(0)

    async def RegisterModule(self, request, context):
        self.registrations += 1
        return registry_pb2.RegisterModuleResponse(
            module_id=request.descriptor.module_id,
            epoch=1,
            lease_ttl=_seconds(2.0),
            heartbeat_interval=_seconds(0.2),
            leader_term=self.term,
        )

    async def Session(self, request_iterator, context):
        hello = await context.read()
        if hello is grpc.aio.EOF:
            return
        self.sessions += 1
        self.session_opened.set()
        for directive in self.directives:
            await context.write(registry_pb2.SessionResponse(directive=directive))
        while True:
            message = await context.read()
            if message is grpc.aio.EOF:
                return
            if message.HasField("heartbeat"):
                ack = registry_pb2.HeartbeatAck(
                    sequence=message.heartbeat.sequence,
                    lease_remaining=_seconds(2.0),
                    leader_term=self.term,
                )
                await context.write(registry_pb2.SessionResponse(heartbeat_ack=ack))

    async def DeregisterModule(self, request, context):
        return registry_pb2.DeregisterModuleResponse()


def after_takeovers(db_path: Path, term: int) -> None:
    """Prepares the database at ``db_path`` as ``term - 1`` takeovers would have left it
    (the last leader's lease run out): the next orchestrator to open it leads at
    ``term``, its lease keeper and write fence alike."""
    store = Store.open(db_path)
    try:
        with store.engine.begin() as connection:
            connection.execute(
                update(schema.leadership)
                .where(schema.leadership.c.id == 1)
                .values(term=term - 1, expires_at=0.0)
            )
    finally:
        store.close()
