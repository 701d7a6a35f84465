"""How a client finds the leader of a replicated orchestrator: the address list and the
redirect rule of ``pnp.v1.cluster``, shared by every client that dials one (the SDK's
registry session, the ``pnp`` CLI).

An address list is ``host:port`` entries separated by ``,`` (``--orchestrator``,
``PNP_ORCHESTRATOR``). ``parse_addresses`` checks it and fills in the default port.

``LeaderSeeker`` says which address to call next. It keeps calling the one that
answered last. When a call fails with UNAVAILABLE it moves on: to the leader a standby
named (``leader_hint``), else to the next address of the list. Once every candidate has
failed since the last answer it asks the caller to back off before the next round.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import grpc

from pnp.v1.cluster import ADDRESS_SEPARATOR, LEADER_METADATA_KEY

DEFAULT_PORT = 50051
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?")


class AddressError(ValueError):
    """An orchestrator address that is not ``host:port``; the message says why."""


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> str:
    """``host:port`` (``[v6]:port`` for IPv6), checked; the default port when none is given."""
    entry = text.strip()
    if not entry:
        raise AddressError("an empty address (expected HOST:PORT)")
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or not _IPV6.fullmatch(host):
            raise AddressError(f"{entry!r}: an IPv6 address is written [ADDRESS]:PORT")
        if rest and not rest.startswith(":"):
            raise AddressError(f"{entry!r}: expected ':PORT' after the ']'")
        port_text = rest[1:] if rest else None
        shown = f"[{host}]"
    elif entry.count(":") > 1:
        if _IPV6.fullmatch(entry):
            raise AddressError(f"{entry!r}: write an IPv6 address in brackets: [{entry}]:PORT")
        raise AddressError(f"{entry!r}: expected HOST:PORT")
    else:
        host, colon, port_text_found = entry.partition(":")
        port_text = port_text_found if colon else None
        if not host:
            raise AddressError(f"{entry!r}: no host before the ':'")
        if not _HOST.fullmatch(host):
            raise AddressError(f"{entry!r}: {host!r} is not a host name or IP address")
        shown = host
    if port_text is None:
        return f"{shown}:{default_port}"
    if not port_text.isdigit():
        raise AddressError(f"{entry!r}: the port {port_text!r} is not a number")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise AddressError(f"{entry!r}: the port {port} is not within 1..65535")
    return f"{shown}:{port}"


def parse_addresses(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, ...]:
    """A comma-separated list of addresses, each checked, in order, without repeats."""
    found: list[str] = []
    for entry in text.split(ADDRESS_SEPARATOR):
        address = parse_address(entry, default_port)
        if address not in found:
            found.append(address)
    return tuple(found)


def leader_hint(error: grpc.aio.AioRpcError) -> str | None:
    """What a standby's UNAVAILABLE says about the leader: its address, "" while the
    standby knows no leader, None when the answer is not a standby's (no such key: the
    address is down, or it is an orchestrator that does not replicate)."""
    if error.code() is not grpc.StatusCode.UNAVAILABLE:
        return None
    for key, value in error.trailing_metadata() or ():
        if key == LEADER_METADATA_KEY:
            text = value.decode() if isinstance(value, bytes) else str(value)
            try:
                return parse_address(text) if text.strip() else ""
            except AddressError:
                return ""  # a name we cannot dial is as good as none
    return None


class LeaderSeeker:
    """Which orchestrator address to call next (pure: the caller does the calls)."""

    def __init__(self, addresses: Sequence[str]) -> None:
        if not addresses:
            raise AddressError("no orchestrator address")
        self.addresses = tuple(addresses)
        self.current = self.addresses[0]
        self._position = 0  # where in the list the search goes on from
        self._tried: set[str] = set()  # failed since the last answer or pause

    def answered(self) -> None:
        """``current`` served a call: stay with it."""
        self._tried.clear()

    def failed(self, redirect: str | None = None) -> bool:
        """``current`` did not serve (``redirect``: the leader a standby named). Moves
        to the next candidate; False when all of them failed since the last answer or
        pause, and the caller should back off before calling again."""
        self._tried.add(self.current)
        if redirect and redirect not in self._tried:
            self._go_to(redirect)
            return True
        self._go_to(self.addresses[(self._position + 1) % len(self.addresses)])
        if self.current in self._tried:
            self._tried.clear()
            return False
        return True

    def _go_to(self, address: str) -> None:
        self.current = address
        if address in self.addresses:
            self._position = self.addresses.index(address)
