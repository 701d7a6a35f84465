"""Checks a registering module's OPC UA endpoint before anything is stored.

The rules are pure (``security/endpoints.py``); this adapter does the one piece of
I/O they need, resolving a host name, once, at registration, without blocking the
event loop, and hands back the descriptor with its endpoint rewritten to the checked
address: the executor never resolves the name again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.security.endpoints import (
    IPAddress,
    ModuleNetworks,
    checked_endpoint,
    parse_networks,
    parse_opcua_endpoint,
)

RESOLVE_TIMEOUT = 2.0

Resolver = Callable[[str, int], Awaitable[tuple[IPAddress, ...]]]


async def resolve_host(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to (empty when it does not): IPv4 first, then in
    resolver order. The first is the one kept, and servers listen on IPv4 far more
    often than on both (``localhost`` resolves to ::1 first on many systems)."""
    loop = asyncio.get_running_loop()
    try:
        answers = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
        )
    except (OSError, TimeoutError):
        return ()
    addresses: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in answers:
        addresses.setdefault(ipaddress.ip_address(sockaddr[0]), None)
    return tuple(sorted(addresses, key=lambda address: address.version))


def module_networks(option: tuple[str, ...] | None, layout: Layout | None) -> ModuleNetworks:
    """The operator's option, else the layout's, else loopback and the private ranges."""
    if option is not None:
        return ModuleNetworks(parse_networks(option, "--module-networks"))
    if layout is not None and layout.spec.module_networks is not None:
        return ModuleNetworks(parse_networks(layout.spec.module_networks, "module_networks"))
    return ModuleNetworks.default()


class EndpointGuard:
    def __init__(self, networks: ModuleNetworks, resolve: Resolver = resolve_host) -> None:
        self.networks = networks
        self._resolve = resolve

    async def check(
        self,
        description: ModuleDescription,
        layout: Layout | None,
        pinned_hosts: frozenset[str] = frozenset(),
    ) -> ModuleDescription:
        """``description`` with its endpoint at the checked address; BadInput or
        PermissionDenied (nothing stored yet) when the endpoint may not be used. A module
        without an endpoint serves no OPC UA: there is nothing to connect to, or check."""
        if not description.opcua_endpoint:
            return description
        endpoint = parse_opcua_endpoint(description.opcua_endpoint)
        if endpoint.address is not None:
            addresses: tuple[IPAddress, ...] = (endpoint.address,)
        else:
            addresses = await self._resolve(endpoint.host, endpoint.port)
        # An unknown dock is the registry's to refuse, with the docks there are.
        docks = layout.spec.docks if layout is not None else []
        dock = next((d for d in docks if d.id == description.dock), None)
        segment = dock.segment if dock is not None else None
        checked = checked_endpoint(
            endpoint,
            addresses,
            self.networks,
            module_id=description.module_id,
            dock=description.dock,
            dock_segment=segment,
            pinned_hosts=pinned_hosts,
        )
        return dataclasses.replace(description, opcua_endpoint=checked)
