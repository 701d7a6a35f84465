"""The gRPC server: both pnp.v1 services plus health and reflection on one port.

With ``tls`` (the orchestrator's certificate, key and the factory CA) it serves mutual
TLS only and enforces who may call what (``api.access``); without, it serves plain
text to anyone (local development; ``pnp serve`` warns).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from pnp.orchestrator.api.access import Access, RoleInterceptor
from pnp.orchestrator.api.endpoint_guard import EndpointGuard, module_networks
from pnp.orchestrator.api.orchestrator_servicer import OrchestratorServicer
from pnp.orchestrator.api.registry_servicer import ModuleRegistryServicer
from pnp.orchestrator.api.tls import listen_on
from pnp.orchestrator.api.twin_servicer import DigitalTwinServicer
from pnp.orchestrator.security.limits import (
    MAX_CONCURRENT_RPCS,
    MAX_RECEIVE_MESSAGE_BYTES,
    MAX_SEND_MESSAGE_BYTES,
)
from pnp.orchestrator.security.revocation import RevocationList
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.twin import FactoryKeys, TwinService
from pnp.v1 import (
    orchestrator_pb2,
    orchestrator_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    twin_pb2,
    twin_pb2_grpc,
)

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    registry_pb2.DESCRIPTOR.services_by_name["ModuleRegistry"].full_name,
    orchestrator_pb2.DESCRIPTOR.services_by_name["Orchestrator"].full_name,
    twin_pb2.DESCRIPTOR.services_by_name["DigitalTwin"].full_name,
)


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def stop(self, grace: float = 1.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def start_server(
    factory: Factory, listen: str = "127.0.0.1:50051", tls: TlsFiles | None = None
) -> RunningServer:
    """Starts serving on ``listen`` (port 0 picks a free port), with mutual TLS if given."""
    access = Access(
        enforced=tls is not None,
        revocations=RevocationList.beside(tls.ca) if tls is not None else None,
    )
    server = grpc.aio.server(
        # Without TLS there are no identities to check, but calls are still audited
        # (as anonymous): the interceptor runs every call as its caller.
        interceptors=[RoleInterceptor(access)],
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
        options=[
            ("grpc.max_receive_message_length", MAX_RECEIVE_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_SEND_MESSAGE_BYTES),
            # gRPC shares ports by default (SO_REUSEPORT): a second orchestrator on the
            # same port would silently split the modules between two databases.
            ("grpc.so_reuseport", 0),
        ],
    )
    endpoints = EndpointGuard(module_networks(factory.settings.module_networks, factory.layout))
    registry_pb2_grpc.add_ModuleRegistryServicer_to_server(
        ModuleRegistryServicer(factory, access, endpoint_guard=endpoints), server
    )
    orchestrator_pb2_grpc.add_OrchestratorServicer_to_server(
        OrchestratorServicer(factory, endpoints), server
    )
    twin_pb2_grpc.add_DigitalTwinServicer_to_server(
        DigitalTwinServicer(TwinService(factory, FactoryKeys.from_tls(tls))), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = listen_on(server, listen, tls)
    await server.start()
    for name in (*SERVICE_NAMES, ""):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health_servicer)
