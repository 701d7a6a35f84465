"""A real grpc.aio server for a test's stand-in service, on a free loopback port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import grpc


@contextlib.asynccontextmanager
async def serving_on_loopback(
    add_servicer: Callable[[grpc.aio.Server], None],
) -> AsyncIterator[str]:
    """Starts a server with what ``add_servicer`` adds to it; yields its address, then
    stops it at once."""
    server = grpc.aio.server()
    add_servicer(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)
