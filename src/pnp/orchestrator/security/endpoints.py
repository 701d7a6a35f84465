"""Where a module's OPC UA endpoint may point: the guard against request forgery.

A registration names the endpoint the executor will connect to, so an unchecked one
lets anyone who can reach the registry make the orchestrator open connections to
hosts of their choosing (a cloud metadata service at 169.254.169.254, a database on
the office network). The rules, as pure functions of what was resolved:

- the endpoint is ``opc.tcp://HOST:PORT``: a host name or IP address, a port in
  1..65535, nothing else (no user, path, query or fragment);
- every address the host resolves to lies in the allowed module networks (default:
  loopback and the private ranges). Link-local addresses (169.254.0.0/16, fe80::/10)
  are refused unless a configured network lies inside the link-local range itself:
  a broad network such as 0.0.0.0/0 does not let them in. Unspecified and multicast
  addresses are never endpoints;
- where the module's dock names a network segment, every address lies in it;
- where the module's certificate pins hosts (DNS or IP SANs), the endpoint's host is
  one of them.

The result is the endpoint rewritten to the checked address, which is all the
executor ever connects to, whatever DNS answers later. Resolving names is I/O and
happens in the API adapter (``api/endpoint_guard.py``); nothing here does any.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pnp.orchestrator.errors import BadInput, PermissionDenied, Violation

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEME = "opc.tcp://"
DEFAULT_MODULE_NETWORKS: tuple[str, ...] = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)
LINK_LOCAL: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
# RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
_FIELD = "descriptor.opcua_endpoint"


@dataclass(frozen=True)
class OpcUaEndpoint:
    """A parsed ``opc.tcp://HOST:PORT``; ``address`` is set when HOST is an IP literal."""

    host: str
    port: int
    address: IPAddress | None = None

    def at(self, address: IPAddress) -> str:
        """This endpoint with its host replaced by ``address``."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{SCHEME}{host}:{self.port}"


def parse_opcua_endpoint(text: str, field: str = _FIELD) -> OpcUaEndpoint:
    """``text`` as an OPC UA endpoint, or BadInput naming ``field`` and what is wrong."""

    def refuse(why: str) -> BadInput:
        return BadInput(f"{field} {text[:200]!r}: {why}", [Violation(field, why)])

    if not text.startswith(SCHEME):
        raise refuse(f"must be {SCHEME}HOST:PORT (the scheme is {SCHEME!r})")
    rest = text[len(SCHEME) :].rstrip("/")
    if any(c in rest for c in "/?#@ \t\r\n"):
        raise refuse("must be opc.tcp://HOST:PORT, with no user, path, query or fragment")
    if rest.startswith("["):
        host, bracket, port_text = rest[1:].partition("]")
        if not bracket or not port_text.startswith(":"):
            raise refuse("an IPv6 address must be written [ADDRESS]:PORT")
        port_text = port_text[1:]
    else:
        host, colon, port_text = rest.rpartition(":")
        if not colon:
            raise refuse("has no port: write opc.tcp://HOST:PORT")
    if not host:
        raise refuse("has no host")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise refuse(f"port {port_text!r} is not a number in 1..65535")
    try:
        address: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
        if not _HOST_NAME.match(host):
            raise refuse(f"host {host[:100]!r} is neither a host name nor an IP address") from None
    return OpcUaEndpoint(host.lower(), int(port_text), address)


def parse_networks(texts: Iterable[str], field: str) -> tuple[IPNetwork, ...]:
    """CIDR texts as networks, or BadInput naming the first one that is not a network."""
    networks = []
    for index, text in enumerate(texts):
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise BadInput(
                f"{field}: {text!r} is not a network",
                [Violation(f"{field}[{index}]", f"{text!r} is not a CIDR network (10.0.0.0/8)")],
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class ModuleNetworks:
    """Where module endpoints may live."""

    networks: tuple[IPNetwork, ...]

    @classmethod
    def default(cls) -> ModuleNetworks:
        return cls(parse_networks(DEFAULT_MODULE_NETWORKS, "--module-networks"))

    def describe(self) -> str:
        return ", ".join(str(n) for n in self.networks)

    def admits(self, address: IPAddress) -> bool:
        if address.is_unspecified or address.is_multicast:
            return False
        inside = [n for n in self.networks if n.version == address.version and address in n]
        if not inside:
            return False
        if any(address in ll for ll in LINK_LOCAL if ll.version == address.version):
            # Only a network named inside the link-local range lets link-local in.
            return any(_within(n, ll) for n in inside for ll in LINK_LOCAL)
        return True


def _within(inner: IPNetwork, outer: IPNetwork) -> bool:
    return (
        inner.version == outer.version
        and inner.network_address in outer
        and inner.broadcast_address in outer
    )


def checked_endpoint(
    endpoint: OpcUaEndpoint,
    addresses: Sequence[IPAddress],
    networks: ModuleNetworks,
    *,
    module_id: str,
    dock: str,
    dock_segment: IPNetwork | None = None,
    pinned_hosts: frozenset[str] = frozenset(),
) -> str:
    """The endpoint at its first checked address, or PermissionDenied saying why not.

    ``addresses`` are what the host resolved to (the literal itself for an IP);
    ``pinned_hosts`` the DNS names and IP addresses in the module's certificate, empty
    when it has none (or there is no TLS).
    """
    if not addresses:
        raise BadInput(
            f"module {module_id}: endpoint host {endpoint.host!r} does not resolve",
            [Violation(_FIELD, f"host {endpoint.host!r} does not resolve to an address")],
        )
    if pinned_hosts and not (
        endpoint.host.rstrip(".") in pinned_hosts
        or (endpoint.address is not None and str(endpoint.address) in pinned_hosts)
    ):
        raise PermissionDenied(
            f"module {module_id}: endpoint host {endpoint.host!r} is not one its certificate "
            f"names ({', '.join(sorted(pinned_hosts))})"
        )
    for address in addresses:
        shown = endpoint.host if endpoint.address is not None else f"{endpoint.host} ({address})"
        if not networks.admits(address):
            raise PermissionDenied(
                f"module {module_id}: endpoint {shown} is outside the allowed module networks "
                f"({networks.describe()}); an operator can allow more with "
                "`pnp serve --module-networks` or the layout's module_networks"
            )
        if dock_segment is not None and not (
            address.version == dock_segment.version and address in dock_segment
        ):
            raise PermissionDenied(
                f"module {module_id}: endpoint {shown} is not on dock {dock}'s network segment "
                f"{dock_segment}"
            )
    return endpoint.at(addresses[0])
