"""gRPC credentials from the factory PKI's files (``security.tls_files``)."""

from __future__ import annotations

import grpc

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
