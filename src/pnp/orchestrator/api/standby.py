"""What a standby replica serves on its listen address: nothing but the way to the leader.

Every call, whatever its service and method, is answered at once with UNAVAILABLE and
the leader's ``host:port`` in the trailing metadata under
``pnp.v1.cluster.LEADER_METADATA_KEY`` (empty while no leader is known), so a client
given a list of replicas moves on to the one that leads. One generic handler covers
unary and streaming methods alike: it declares every method a bidirectional stream
(the framing on the wire is the same) and never reads the request.

With TLS the standby demands the same client certificates as the leader: a redirect
tells the floor where its orchestrator is, which is not for anyone to learn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc

from pnp.orchestrator.api.tls import listen_on
from pnp.orchestrator.security.limits import MAX_RECEIVE_MESSAGE_BYTES
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.v1.cluster import LEADER_METADATA_KEY


class _RedirectEverything(grpc.GenericRpcHandler):
    def __init__(self, leader: Callable[[], str]) -> None:
        self._leader = leader
        self._handler = grpc.stream_stream_rpc_method_handler(self._answer)

    def service(self, handler_call_details):
        return self._handler

    async def _answer(self, _requests, context: grpc.aio.ServicerContext) -> None:
        leader = self._leader()
        where = f"the leader is {leader}" if leader else "no leader is known yet"
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            f"this orchestrator is a standby; {where}",
            trailing_metadata=((LEADER_METADATA_KEY, leader),),
        )


@dataclass
class StandbyServer:
    server: grpc.aio.Server
    port: int

    async def stop(self) -> None:
        await self.server.stop(0)


async def start_standby_server(
    listen: str, tls: TlsFiles | None, leader: Callable[[], str]
) -> StandbyServer:
    """Serves the redirect on ``listen`` (port 0 picks one) until stopped; ``leader()``
    names the current leader's address at each call."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_RECEIVE_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ]
    )
    server.add_generic_rpc_handlers((_RedirectEverything(leader),))
    port = listen_on(server, listen, tls)
    await server.start()
    return StandbyServer(server, port)
