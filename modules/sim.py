"""The reference simulated module: a catalog kind plugged into a dock.

It registers over real gRPC and keeps its session alive like a vendor's module would.
(Its OPC UA side, with skills and PackML state machines, arrives with the module SDK.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import grpc

from modules.catalog import load_catalog
from modules.descriptors import to_proto
from modules.session import RegistryClient
from pnp.v1 import registry_pb2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulatedModuleConfig:
    kind: str
    dock: str
    orchestrator: str = "127.0.0.1:50051"
    module_id: str = ""  # default: <kind>-<dock>, lower case
    serial: str = ""  # default: SIM-<module id>
    time_scale: float = 1.0
    seed: int = 0

    @property
    def resolved_module_id(self) -> str:
        return self.module_id or f"{self.kind}-{self.dock}".lower()


class SimulatedModule:
    def __init__(self, config: SimulatedModuleConfig) -> None:
        self.config = config
        module_type = load_catalog().module_type(config.kind)
        module_id = config.resolved_module_id
        self.descriptor = to_proto(
            module_type,
            module_id=module_id,
            dock=config.dock,
            serial=config.serial or f"SIM-{module_id}",
            kind=config.kind,
        )
        self.released = asyncio.Event()
        self.client = RegistryClient(
            config.orchestrator,
            self.descriptor,
            on_directive=self._on_directive,
            seed=config.seed,
        )

    @property
    def module_id(self) -> str:
        return self.descriptor.module_id

    async def run(self) -> None:
        """Run until cancelled; on cancellation, deregister (best effort)."""
        try:
            await self.client.run()
        finally:
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.CancelledError):
                await asyncio.shield(self.client.deregister())

    async def _on_directive(self, directive: registry_pb2.Directive) -> None:
        log.info(
            "%s: directive %s (%s)",
            self.module_id,
            registry_pb2.DirectiveKind.Name(directive.kind),
            directive.reason,
        )
        if directive.kind == registry_pb2.DIRECTIVE_KIND_RELEASE:
            self.released.set()
