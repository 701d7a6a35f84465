"""The OPC UA client side of one PEA: connect, resolve the manifest's nodes, read, write.

Nodes are addressed as the manifest gives them (namespace URI and identifier); the
namespace index is looked up in the PEA's namespace array at every connection, never
assumed. Writes use the variable's own data type (an ``AnaServParam``'s ``VExt`` may be
Float or Double, a command word UInt32 or Int32: the PEA decides, we follow).

Two kinds of failure, kept apart because the adapter treats them apart:
``PeaUnreachable`` (the connection is gone: the PEA may come back) and ``PeaRefused``
(the PEA answered, but not as the manifest promised: a missing node, a bad type).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from asyncua import Client, ua

from pnp.mtp.descriptor import NodeAddress

log = logging.getLogger(__name__)

# Status codes that mean the session or connection is gone, not that the request was bad.
_CONNECTION_STATUS_WORDS = ("Session", "Connection", "Channel", "Timeout", "Communication")


class PeaUnreachable(ConnectionError):
    """The PEA's OPC UA server cannot be reached (now)."""


class PeaRefused(RuntimeError):
    """The PEA answered, but not as its manifest says it would."""


_NUMERIC_TYPES = {
    ua.VariantType.Float,
    ua.VariantType.Double,
}
_INTEGER_TYPES = {
    ua.VariantType.SByte,
    ua.VariantType.Byte,
    ua.VariantType.Int16,
    ua.VariantType.UInt16,
    ua.VariantType.Int32,
    ua.VariantType.UInt32,
    ua.VariantType.Int64,
    ua.VariantType.UInt64,
}


def _coerce(value: Any, variant_type: ua.VariantType) -> Any:
    if variant_type in _NUMERIC_TYPES:
        return float(value)
    if variant_type in _INTEGER_TYPES:
        return int(value)
    if variant_type is ua.VariantType.Boolean:
        return bool(value)
    if variant_type is ua.VariantType.String:
        return str(value)
    return value


class PeaConnection:
    def __init__(self, endpoint: str, *, timeout: float = 4.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._client: Client | None = None
        self._namespaces: list[str] = []
        self._types: dict[NodeAddress, ua.VariantType] = {}

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def connect(self) -> None:
        client = Client(self.endpoint, timeout=self.timeout)
        try:
            await client.connect()
            self._namespaces = list(await client.get_namespace_array())
        except Exception as error:
            await _quietly_disconnect(client)
            raise PeaUnreachable(
                f"cannot connect to the PEA at {self.endpoint}: {error!r}"
            ) from None
        self._client = client
        self._types.clear()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await _quietly_disconnect(client)

    def node_id(self, address: NodeAddress) -> ua.NodeId:
        namespace = address.namespace
        if namespace.isdigit():
            index = int(namespace)
        elif namespace in self._namespaces:
            index = self._namespaces.index(namespace)
        else:
            raise PeaRefused(
                f"the PEA at {self.endpoint} has no namespace {namespace!r}: "
                "the manifest does not describe this server"
            )
        identifier: int | str = int(address.identifier) if address.numeric else address.identifier
        return ua.NodeId(identifier, index)

    def _live(self) -> Client:
        if self._client is None:
            raise PeaUnreachable(f"not connected to the PEA at {self.endpoint}")
        return self._client

    async def read(self, address: NodeAddress) -> Any:
        [value] = await self.read_many([address])
        return value

    async def read_many(self, addresses: Sequence[NodeAddress]) -> list[Any]:
        client = self._live()
        nodes = [client.get_node(self.node_id(a)) for a in addresses]
        return await self._call(client.read_values(nodes), addresses)

    async def write(self, address: NodeAddress, value: Any) -> None:
        client = self._live()
        node = client.get_node(self.node_id(address))
        variant_type = self._types.get(address)
        if variant_type is None:
            data_value = await self._call(node.read_data_value(), [address])
            variant_type = data_value.Value.VariantType
            self._types[address] = variant_type
        try:
            typed = ua.Variant(_coerce(value, variant_type), variant_type)
        except (TypeError, ValueError) as error:
            raise PeaRefused(f"{address.identifier}: cannot write {value!r}: {error}") from None
        await self._call(node.write_value(ua.DataValue(typed)), [address])

    async def _call(self, call: Any, addresses: Sequence[NodeAddress]) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except ua.UaStatusCodeError as error:
            # asyncua names each status code's exception after the code (BadNodeIdUnknown).
            status = type(error).__name__
            if any(word in status for word in _CONNECTION_STATUS_WORDS):
                raise PeaUnreachable(f"the PEA at {self.endpoint} dropped us: {status}") from None
            shown = ", ".join(a.identifier for a in addresses)
            raise PeaRefused(f"the PEA refused access to {shown}: {status}") from None
        except (OSError, TimeoutError, ua.UaError) as error:
            raise PeaUnreachable(f"the PEA at {self.endpoint} does not answer: {error!r}") from None


async def _quietly_disconnect(client: Client) -> None:
    try:
        async with asyncio.timeout(2.0):
            await client.disconnect()
    except Exception:  # the connection is gone already; nothing to close cleanly
        log.debug("disconnecting from a PEA failed", exc_info=True)
