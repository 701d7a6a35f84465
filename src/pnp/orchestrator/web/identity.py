"""Who is at the console: the client certificate of the HTTPS connection, as a caller.

With TLS, the console asks every browser for a certificate of the factory PKI (the
same ones ``pnp pki issue planner NAME --role ROLE`` makes for the CLI) and checks it
against the factory CA. Uvicorn does not hand the certificate to the app, so its HTTP
protocol is extended here to put it in each request's scope under the ASGI TLS
extension (``scope["extensions"]["tls"]["client_cert_chain"]``, PEM), where
``caller_in`` reads it. The request is asked for a certificate, not required to show
one: a browser without one gets a page saying what it needs (403), not a failed
handshake that tells its user nothing.
"""

from __future__ import annotations

import ssl

from uvicorn.protocols.http.h11_impl import H11Protocol

from pnp.orchestrator.api.access import caller_of, serial_of
from pnp.orchestrator.security.permissions import Caller


class IdentifyingH11Protocol(H11Protocol):
    """Uvicorn's h11 protocol, adding the client's certificate to every request's scope."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls_object = transport.get_extra_info("ssl_object")
        if tls_object is None:
            return
        der = tls_object.getpeercert(binary_form=True)
        chain = [ssl.DER_cert_to_PEM_cert(der)] if der else []
        app = self.app  # one protocol object per connection: this wrap is per connection

        async def with_certificate(scope, receive, send):
            extensions = dict(scope.get("extensions") or {})
            extensions["tls"] = {"client_cert_chain": chain, "server_cert": None}
            await app({**scope, "extensions": extensions}, receive, send)

        self.app = with_certificate


def _chain(scope) -> list[str]:
    return ((scope.get("extensions") or {}).get("tls") or {}).get("client_cert_chain") or []


def caller_in(scope) -> Caller | None:
    """The caller whose certificate the connection presented; None without one."""
    chain = _chain(scope)
    return caller_of(chain[0].encode("ascii")) if chain else None


def serial_in(scope) -> int | None:
    """The serial number of the certificate the connection presented; None without one."""
    chain = _chain(scope)
    return serial_of(chain[0].encode("ascii")) if chain else None
