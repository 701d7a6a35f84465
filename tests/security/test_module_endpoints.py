"""A registration cannot point the orchestrator at any address (server-side request forgery).

Each hostile endpoint goes through a real gRPC server. It is refused with the status
that says why, nothing of it is stored, and the server keeps serving.
"""

from __future__ import annotations

import sqlite3

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, registry_pb2, registry_pb2_grpc
from tests.conftest import DEMO_LAYOUT, start_factory
from tests.security.conftest import MODULE_A, open_secure_factory

pytestmark = pytest.mark.servers  # real gRPC servers on loopback

INVALID, DENIED, OK = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.OK,
)


def request(endpoint: str, module_id: str = "laser-a", dock: str = "A1"):
    descriptor = to_proto(
        load_catalog().module_type("laser-cutter"),
        module_id=module_id,
        dock=dock,
        serial=f"SN-{module_id}",
        kind="laser-cutter",
        opcua_endpoint=endpoint,
    )
    return registry_pb2.RegisterModuleRequest(
        descriptor=descriptor, boot_id="boot-1", request_id=f"r-{module_id}"
    )


async def register(channel, endpoint: str, **where) -> tuple[grpc.StatusCode, str]:
    stub = registry_pb2_grpc.ModuleRegistryStub(channel)
    try:
        await stub.RegisterModule(request(endpoint, **where), timeout=5)
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    return OK, ""


def stored_modules(db_path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return db.execute("SELECT module_id, descriptor_json FROM modules").fetchall()


async def serving(channel) -> bool:
    answer = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=5
    )
    return answer.status == health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
async def floor(tmp_path):
    running = await start_factory(tmp_path)
    try:
        yield running
    finally:
        await running.close()


@pytest.mark.parametrize(
    ("endpoint", "status", "said"),
    [
        pytest.param(
            "http://169.254.169.254/latest/meta-data", INVALID, "opc.tcp://", id="wrong-scheme"
        ),
        pytest.param("opc.tcp://127.0.0.1", INVALID, "has no port", id="no-port"),
        pytest.param("opc.tcp://127.0.0.1:70000", INVALID, "1..65535", id="port-out-of-range"),
        pytest.param("opc.tcp://127.0.0.1:0", INVALID, "1..65535", id="port-zero"),
        pytest.param("opc.tcp://user@127.0.0.1:4840", INVALID, "no user, path", id="userinfo"),
        pytest.param(
            "opc.tcp://169.254.169.254:4840", DENIED, "outside the allowed", id="link-local"
        ),
        pytest.param("opc.tcp://[fe80::1]:4840", DENIED, "outside the allowed", id="link-local-v6"),
        pytest.param("opc.tcp://8.8.8.8:4840", DENIED, "outside the allowed", id="public-address"),
        pytest.param("opc.tcp://0.0.0.0:4840", DENIED, "outside the allowed", id="unspecified"),
    ],
)
async def test_a_hostile_endpoint_is_refused_and_nothing_is_stored(floor, endpoint, status, said):
    async with grpc.aio.insecure_channel(floor.address) as channel:
        code, details = await register(channel, endpoint)
        assert code is status, details
        assert said in details
        if status is INVALID:
            assert "descriptor.opcua_endpoint" in details
        else:
            assert "127.0.0.0/8" in details  # says which networks are allowed
        assert stored_modules(floor.db_path) == []
        assert await serving(channel)


async def test_a_name_that_resolves_outside_the_allowed_networks_is_refused(tmp_path):
    floor = await start_factory(tmp_path, module_networks=("10.0.0.0/8",))
    try:
        async with grpc.aio.insecure_channel(floor.address) as channel:
            code, details = await register(channel, "opc.tcp://localhost:4840")
            assert code is DENIED
            assert "localhost (127.0.0.1) is outside the allowed module networks" in details
            assert "10.0.0.0/8" in details
            assert stored_modules(floor.db_path) == []
            assert await serving(channel)
    finally:
        await floor.close()


async def test_a_name_is_resolved_once_and_the_checked_address_is_what_is_kept(floor):
    """The executor connects to what was checked, whatever DNS says later."""
    async with grpc.aio.insecure_channel(floor.address) as channel:
        code, details = await register(channel, "opc.tcp://localhost:4840")
        assert code is OK, details
        listed = await orchestrator_pb2_grpc.OrchestratorStub(channel).ListModules(
            orchestrator_pb2.ListModulesRequest(), timeout=5
        )
    [module] = listed.modules
    assert module.descriptor.opcua_endpoint in ("opc.tcp://127.0.0.1:4840", "opc.tcp://[::1]:4840")
    [(_, descriptor_json)] = stored_modules(floor.db_path)
    assert "localhost" not in descriptor_json


async def test_link_local_is_allowed_only_when_named(tmp_path):
    floor = await start_factory(tmp_path, module_networks=("0.0.0.0/0",))
    try:
        async with grpc.aio.insecure_channel(floor.address) as channel:
            code, _ = await register(channel, "opc.tcp://169.254.10.20:4840")
            assert code is DENIED
            assert (await register(channel, "opc.tcp://8.8.8.8:4840"))[0] is OK
    finally:
        await floor.close()
    (tmp_path / "named").mkdir()
    named = await start_factory(tmp_path / "named", module_networks=("169.254.10.0/24",))
    try:
        async with grpc.aio.insecure_channel(named.address) as channel:
            assert (await register(channel, "opc.tcp://169.254.10.20:4840"))[0] is OK
    finally:
        await named.close()


async def test_a_module_answers_from_its_docks_network_segment(tmp_path):
    layout = tmp_path / "segmented.yaml"
    layout.write_text(
        DEMO_LAYOUT.read_text()
        .replace(
            "- {id: A1, position: {x_m: 0, y_m: 0}, limits: "
            "{power_kw: 80, air_nl_per_min: 600, water_l_per_min: 60}}",
            "- {id: A1, position: {x_m: 0, y_m: 0}, limits: "
            "{power_kw: 80, air_nl_per_min: 600, water_l_per_min: 60}, network: 10.1.0.0/24}",
        )
        .replace(
            "- {id: A2, position: {x_m: 12, y_m: 0}, limits: "
            "{power_kw: 80, air_nl_per_min: 600, water_l_per_min: 60}}",
            "- {id: A2, position: {x_m: 12, y_m: 0}, limits: "
            "{power_kw: 80, air_nl_per_min: 600, water_l_per_min: 60}, network: 127.0.0.0/8}",
        )
    )
    assert "network: 10.1.0.0/24" in layout.read_text()
    (tmp_path / "db").mkdir()
    floor = await start_factory(tmp_path / "db", layout=layout)
    try:
        async with grpc.aio.insecure_channel(floor.address) as channel:
            code, details = await register(channel, "opc.tcp://127.0.0.1:4840", dock="A1")
            assert code is DENIED
            assert "not on dock A1's network segment 10.1.0.0/24" in details
            assert stored_modules(floor.db_path) == []
            code, details = await register(
                channel, "opc.tcp://127.0.0.1:4841", module_id="laser-b", dock="A2"
            )
            assert code is OK, details
    finally:
        await floor.close()


async def test_a_certificate_that_pins_its_host_pins_the_endpoint(tmp_path, factory_pki):
    """The module certificates name localhost and 127.0.0.1 (pnp pki's default hosts)."""
    async with open_secure_factory(tmp_path, factory_pki) as secure:
        async with secure.channel(MODULE_A) as channel:
            code, details = await register(channel, "opc.tcp://127.0.0.2:4840")
            assert code is DENIED
            assert "is not one its certificate names (127.0.0.1, localhost)" in details
            assert secure.row_counts()["modules"] == 0
            assert (await register(channel, "opc.tcp://127.0.0.1:4840"))[0] is OK
        assert await secure.is_serving()


async def test_what_if_descriptors_get_the_same_checks(floor):
    hostile = request("opc.tcp://169.254.169.254:80").descriptor
    async with grpc.aio.insecure_channel(floor.address) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.WhatIf(
                orchestrator_pb2.WhatIfRequest(with_descriptors=[hostile]), timeout=30
            )
        assert refused.value.code() is DENIED
