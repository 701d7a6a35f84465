"""gRPC credentials from the factory PKI's files (``security.tls_files``), and binding a
server with them."""

from __future__ import annotations

import grpc

from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.security.tls_files import TlsFiles


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """TLS that demands a client certificate from the factory CA (mutual TLS)."""
    ca, certificate, key = files.read()
    return grpc.ssl_server_credentials(
        [(key, certificate)], root_certificates=ca, require_client_auth=True
    )


def channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    ca, certificate, key = files.read()
    return grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=key, certificate_chain=certificate
    )


def listen_on(server: grpc.aio.Server, listen: str, tls: TlsFiles | None) -> int:
    """Binds ``server`` to ``listen`` (mutual TLS with ``tls``, plain text without);
    returns the port (the one picked, for port 0); BadInput naming the address if not."""
    try:
        if tls is None:
            return server.add_insecure_port(listen)
        return server.add_secure_port(listen, server_credentials(tls))
    except RuntimeError as error:
        raise BadInput(
            f"cannot listen on {listen}",
            [Violation("listen", f"cannot listen on {listen}: {error}")],
        ) from None
