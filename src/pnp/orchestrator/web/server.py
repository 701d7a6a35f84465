"""Serving the console: uvicorn on the orchestrator's own event loop, beside grpc.aio.

The socket is bound here, before uvicorn starts, so the port (0 picks one) is known at
once and a bad address is a ``BadInput`` like a bad ``--listen``. Uvicorn is told to
keep its hands off signals and logging: the process around it owns both. With ``tls``
(the orchestrator's own certificate and the factory CA) it serves HTTPS and asks each
browser for its certificate (``identity``), and the app checks roles (``roles``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass

import uvicorn

from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.security.revocation import RevocationList
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.web.app import console_app
from pnp.orchestrator.web.event_stream import StreamCursors
from pnp.orchestrator.web.identity import IdentifyingH11Protocol
from pnp.orchestrator.web.listen import DEFAULT_WEB_LISTEN, console_address, exposure

SHUTDOWN_GRACE_SECONDS = 1.0  # open event streams never end by themselves


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        # uvicorn would replace the process's SIGINT/SIGTERM handlers; `pnp serve` has its own.
        yield


@dataclass
class RunningConsole:
    server: uvicorn.Server
    streams: StreamCursors
    task: asyncio.Task
    host: str
    port: int
    secured: bool = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.secured else 'http'}://{host}:{self.port}/"

    @property
    def exposure(self) -> str:
        """How it is served, for the start-up line: HTTPS with roles, or plain and where."""
        return exposure(self.host, self.secured)

    async def stop(self) -> None:
        self.streams.close()  # open event streams end now, so shutdown need not wait
        self.server.should_exit = True
        await asyncio.gather(self.task, return_exceptions=True)


def bind(listen: str, *, secured: bool = False, insecure: bool = False) -> socket.socket:
    host, port = console_address(listen, secured=secured, insecure=insecure)
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = info[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        raise BadInput(
            f"cannot listen on {listen}",
            [Violation("--web", f"cannot listen on {listen}: {error.strerror or error}")],
        ) from None
    sock.setblocking(False)
    sock.listen(128)  # connections wait in the backlog until uvicorn starts accepting
    return sock


async def start_console(
    factory: Factory,
    listen: str = DEFAULT_WEB_LISTEN,
    *,
    tls: TlsFiles | None = None,
    insecure: bool = False,
) -> RunningConsole:
    """Serves the console for ``factory`` on ``listen`` until ``stop()``: HTTPS with
    roles if ``tls``, else plain HTTP on loopback (anywhere only if ``insecure``)."""
    sock = bind(listen, secured=tls is not None, insecure=insecure)
    app = console_app(
        factory,
        secured=tls is not None,
        revocations=RevocationList.beside(tls.ca) if tls is not None else None,
    )
    https = {}
    if tls is not None:
        https = {
            "ssl_certfile": str(tls.certificate),
            "ssl_keyfile": str(tls.key),
            "ssl_ca_certs": str(tls.ca),
            # Asked, not required: the role gate answers a browser without one in words.
            "ssl_cert_reqs": ssl.CERT_OPTIONAL,
        }
    config = uvicorn.Config(
        app,
        http=IdentifyingH11Protocol,
        ws="none",
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        **https,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="web-console")
    host, port = sock.getsockname()[:2]
    return RunningConsole(server, app.state.streams, task, host, port, tls is not None)
