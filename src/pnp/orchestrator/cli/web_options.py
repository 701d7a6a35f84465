"""The options ``pnp serve`` and ``pnp demo`` share for the web console.

``--web [HOST:]PORT`` serves it; with TLS on (``--tls-dir``, or ``demo --secure``) it
is HTTPS with the factory's certificates and roles, else plain HTTP on loopback only,
unless ``--web-insecure`` says otherwise (and then the start-up line says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from pnp.orchestrator.web.listen import INSECURE_FLAG, console_address


@dataclass(frozen=True)
class WebOptions:
    """Where to serve the console, and whether plain HTTP may leave loopback."""

    listen: str
    insecure: bool = False


def web_insecure_option(command):
    return click.option(
        INSECURE_FLAG,
        "web_insecure",
        is_flag=True,
        help="Serve a plain-HTTP console (no --tls-dir) on a non-loopback --web address: "
        "whoever reaches it may submit, cancel and drain.",
    )(command)


def check_web_address(web: str | None, *, secured: bool, insecure: bool) -> None:
    """Refuses a bad --web before anything starts (``BadInput``, exit 2)."""
    if web:
        console_address(web, secured=secured, insecure=insecure)
