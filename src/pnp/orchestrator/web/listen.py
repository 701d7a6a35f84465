"""Where the console may listen: checked before anything starts (and cheap to import).

With TLS (``--tls-dir``) the console serves HTTPS and knows who is calling from their
certificates (``roles``): it may listen anywhere. Plain, it has no identities: whoever
reaches its port may submit, cancel and drain. So plain, it listens on loopback only
(reach it from elsewhere through an SSH tunnel or a proxy that authenticates), unless
told otherwise with ``--web-insecure``, and then it says so loudly.
"""

from __future__ import annotations

import ipaddress

from pnp.orchestrator.errors import BadInput, Violation

DEFAULT_WEB_LISTEN = "127.0.0.1:8080"
INSECURE_FLAG = "--web-insecure"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_listen(listen: str) -> tuple[str, int]:
    """HOST:PORT, or a bare PORT on loopback."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise BadInput(
            f"{listen!r} is not HOST:PORT",
            [Violation("--web", f"{listen!r}: give HOST:PORT, e.g. {DEFAULT_WEB_LISTEN}")],
        )
    return host, int(port)


def console_address(
    listen: str, *, secured: bool = False, insecure: bool = False
) -> tuple[str, int]:
    """(host, port) to serve the console on; ``BadInput`` for a plain console off
    loopback, unless ``insecure`` says the user wants exactly that."""
    host, port = split_listen(listen)
    if not (secured or insecure or is_loopback(host)):
        raise BadInput(
            f"the console serves plain HTTP, on loopback only, not on {host}",
            [
                Violation(
                    "--web",
                    f"{listen}: without --tls-dir the console listens on loopback only: "
                    "use 127.0.0.1:PORT (or [::1]:PORT) and reach it through an SSH "
                    "tunnel or an authenticating proxy; serve it with --tls-dir for "
                    f"certificates and roles; or add {INSECURE_FLAG} to let anyone who "
                    "reaches the port act",
                )
            ],
        )
    return host, port


def exposure(listen_host: str, secured: bool) -> str:
    """How the console is served, in the words the start-up line uses."""
    if secured:
        return "HTTPS, factory certificates: viewers read, planners act"
    if is_loopback(listen_host):
        return "plain HTTP, loopback only, no identities: anyone on this machine may act"
    return f"plain HTTP on {listen_host} with {INSECURE_FLAG}: ANYONE who reaches it may act"
