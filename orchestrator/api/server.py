"""The gRPC server: both pnp.v1 services plus health and reflection on one port."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from orchestrator.api.orchestrator_servicer import OrchestratorServicer
from orchestrator.api.registry_servicer import ModuleRegistryServicer
from orchestrator.errors import BadInput, Violation
from orchestrator.service.factory import Factory
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, registry_pb2, registry_pb2_grpc

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
SERVICE_NAMES = (
    registry_pb2.DESCRIPTOR.services_by_name["ModuleRegistry"].full_name,
    orchestrator_pb2.DESCRIPTOR.services_by_name["Orchestrator"].full_name,
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


async def start_server(factory: Factory, listen: str = "127.0.0.1:50051") -> RunningServer:
    """Starts serving on ``listen`` (port 0 picks a free port) without TLS."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # gRPC shares ports by default (SO_REUSEPORT): a second orchestrator on the
            # same port would silently split the modules between two databases.
            ("grpc.so_reuseport", 0),
        ]
    )
    registry_pb2_grpc.add_ModuleRegistryServicer_to_server(ModuleRegistryServicer(factory), server)
    orchestrator_pb2_grpc.add_OrchestratorServicer_to_server(OrchestratorServicer(factory), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    try:
        port = server.add_insecure_port(listen)
    except RuntimeError as error:
        raise BadInput(
            f"cannot listen on {listen}",
            [Violation("listen", f"cannot listen on {listen}: {error}")],
        ) from None
    await server.start()
    for name in (*SERVICE_NAMES, ""):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health_servicer)
