"""A secured orchestrator on 127.0.0.1:<port 0> with real mutual TLS, and the
certificates of the parties that talk to it: honest ones, and some that should not work."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pnp.orchestrator.api.runtime import open_orchestrator
from pnp.orchestrator.api.server import RunningServer
from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import Identity, PlannerRole, Role
from pnp.orchestrator.security.tls_files import TlsFiles, files_in_directory
from pnp.orchestrator.service.factory import Factory, FactorySettings
from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto
from pnp.v1 import module_pb2

ORCHESTRATOR = Identity(Role.ORCHESTRATOR, "orchestrator")
PLANNER = Identity(Role.PLANNER, "anna")
VIEWER = Identity(Role.PLANNER, "vera")  # issued with the viewer role
MODULE_A = Identity(Role.MODULE, "laser-a")
MODULE_B = Identity(Role.MODULE, "laser-b")
EXPIRED = Identity(Role.MODULE, "laser-expired")
TABLES = ("orders", "modules", "attempts")


@dataclass(frozen=True)
class FactoryPki:
    """The factory's PKI, plus a stranger's: a CA nobody trusts, with its own module."""

    root: Path
    stranger_root: Path

    def files(self, identity: Identity) -> TlsFiles:
        return files_in_directory(self.root, identity)

    def stranger(self) -> TlsFiles:
        # The stranger presents its own certificate but checks the server against ours,
        # so only the server's refusal can fail the handshake.
        own = files_in_directory(self.stranger_root, MODULE_A)
        return TlsFiles(self.root / "ca.pem", own.certificate, own.key)


@pytest.fixture(scope="session")
def factory_pki(tmp_path_factory) -> FactoryPki:
    root = tmp_path_factory.mktemp("pki")
    pki.init_ca(root)
    for identity in (ORCHESTRATOR, PLANNER, MODULE_A, MODULE_B):
        pki.issue(root, identity)
    pki.issue(root, VIEWER, role=PlannerRole.VIEWER)
    # Valid for one day, a week ago.
    pki.issue(root, EXPIRED, valid_days=1, now=datetime.now(UTC) - timedelta(days=7))
    stranger_root = tmp_path_factory.mktemp("stranger-pki")
    pki.init_ca(stranger_root, name="somebody else's CA")
    pki.issue(stranger_root, MODULE_A)
    return FactoryPki(root, stranger_root)


def credentials(files: TlsFiles | None, ca: Path | None = None) -> grpc.ChannelCredentials:
    """Client credentials presenting ``files`` (None: no client certificate at all)."""
    if files is None:
        return grpc.ssl_channel_credentials(root_certificates=ca.read_bytes())
    ca_pem, certificate, key = files.read()
    return grpc.ssl_channel_credentials(
        root_certificates=ca_pem, private_key=key, certificate_chain=certificate
    )


@dataclass
class SecureFactory:
    factory: Factory
    server: RunningServer
    db_path: Path
    pki: FactoryPki

    @property
    def address(self) -> str:
        return self.server.address

    def channel(self, identity: Identity) -> grpc.aio.Channel:
        return grpc.aio.secure_channel(self.address, credentials(self.pki.files(identity)))

    def row_counts(self) -> dict[str, int]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def module_rows(self) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return db.execute("SELECT module_id, epoch, boot_id FROM modules").fetchall()

    async def is_serving(self) -> bool:
        async with self.channel(PLANNER) as channel:
            response = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=5
            )
        return response.status == health_pb2.HealthCheckResponse.SERVING


@contextlib.asynccontextmanager
async def open_secure_factory(
    tmp_path: Path, factory_pki: FactoryPki, **settings
) -> AsyncIterator[SecureFactory]:
    db_path = tmp_path / "pnp.db"
    tls = factory_pki.files(ORCHESTRATOR)
    factory_settings = FactorySettings(
        **{"solve_time_limit": 2.0, **settings},
        opcua_security=tls,
    )
    async with open_orchestrator(
        db_path, settings=factory_settings, tls=tls, stop_grace=0.2
    ) as orchestrator:
        yield SecureFactory(orchestrator.factory, orchestrator.server, db_path, factory_pki)


@pytest.fixture
async def secure_factory(tmp_path, factory_pki):
    async with open_secure_factory(tmp_path, factory_pki) as running:
        yield running


def descriptor(module_id: str, dock: str = "A1") -> module_pb2.ModuleDescriptor:
    return to_proto(
        load_catalog().module_type("laser-cutter"),
        module_id=module_id,
        dock=dock,
        serial=f"SN-{module_id}",
        kind="laser-cutter",
    )
