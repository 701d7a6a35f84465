"""Where the console may listen: checked before anything starts (and cheap to import).

The console has no TLS and no identities of its own: whoever reaches its port may
submit, cancel and drain. So it listens on loopback only; from elsewhere, reach it
through an SSH tunnel or a proxy that authenticates.
"""

from __future__ import annotations

import ipaddress

from pnp.orchestrator.errors import BadInput, Violation

DEFAULT_WEB_LISTEN = "127.0.0.1:8080"


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


def console_address(listen: str) -> tuple[str, int]:
    """(host, port) to serve the console on; ``BadInput`` unless it is loopback."""
    host, port = split_listen(listen)
    if not is_loopback(host):
        raise BadInput(
            f"the console serves plain HTTP, on loopback only, not on {host}",
            [
                Violation(
                    "--web",
                    f"{listen}: the console listens on loopback only: use 127.0.0.1:PORT "
                    "(or [::1]:PORT) and reach it through an SSH tunnel or an "
                    "authenticating proxy",
                )
            ],
        )
    return host, port
