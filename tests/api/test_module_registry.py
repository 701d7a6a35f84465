"""pnp.v1.ModuleRegistry over real gRPC: registration, epochs, sessions, leases, refusals."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.errors import BadInput
from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto
from pnp.v1 import registry_pb2, registry_pb2_grpc
from tests.conftest import start_factory


def descriptor(kind="laser-cutter", dock="A1", module_id="laser-1"):
    return to_proto(
        load_catalog().module_type(kind), module_id=module_id, dock=dock, serial="S1", kind=kind
    )


@pytest.fixture
async def registry(running_factory):
    async with grpc.aio.insecure_channel(running_factory.address) as channel:
        yield registry_pb2_grpc.ModuleRegistryStub(channel)


async def register(stub, boot_id="boot-1", **kwargs):
    return await stub.RegisterModule(
        registry_pb2.RegisterModuleRequest(
            descriptor=descriptor(**kwargs), boot_id=boot_id, request_id=f"r-{boot_id}"
        ),
        timeout=5,
    )


async def test_a_new_boot_gets_a_higher_epoch_and_a_retry_keeps_it(registry):
    first = await register(registry, boot_id="boot-1")
    retry = await register(registry, boot_id="boot-1")
    reboot = await register(registry, boot_id="boot-2")
    assert (first.epoch, retry.epoch, reboot.epoch) == (1, 1, 2)
    assert first.heartbeat_interval.ToTimedelta().total_seconds() == 0.5
    assert first.lease_ttl.ToTimedelta().total_seconds() == 2.0


async def test_epochs_survive_an_orchestrator_restart(tmp_path):
    for expected in (1, 2):
        running = await start_factory(tmp_path)
        try:
            async with grpc.aio.insecure_channel(running.address) as channel:
                stub = registry_pb2_grpc.ModuleRegistryStub(channel)
                reply = await register(stub, boot_id=f"boot-{expected}")
                assert reply.epoch == expected
        finally:
            await running.close()


async def test_an_unknown_dock_is_refused_naming_the_known_docks(registry):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await register(registry, dock="Z9")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = error_from_rpc(refused.value)
    assert isinstance(error, BadInput)
    assert error.violations[0].field == "descriptor.dock"
    assert "Z9" in error.message and "A1" in error.message


async def test_a_taken_dock_is_refused(registry):
    await register(registry, module_id="laser-1", dock="A1")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await register(registry, module_id="laser-2", dock="A1", boot_id="other")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "dock A1 is taken by module laser-1" in refused.value.details()


async def test_a_dock_without_enough_power_is_refused(registry):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await register(registry, kind="paint-booth", module_id="paint-1", dock="C2")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "needs power_kw 55 kW, dock C2 supplies at most 15 kW" in refused.value.details()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda d: d.capabilities[0].time_model.__setattr__("seconds_per_unit", float("nan")),
            "capabilities[0].time_model.seconds_per_unit",
        ),
        (
            lambda d: d.capabilities[0].time_model.__setattr__("setup_seconds", -5.0),
            "capabilities[0].time_model.setup_seconds",
        ),
        (
            lambda d: d.capabilities[0].time_model.__setattr__("seconds_per_unit", 1e18),
            "capabilities[0].time_model.seconds_per_unit",
        ),
        (lambda d: d.__setattr__("module_id", "Bad Id!"), "module_id"),
        (lambda d: d.capabilities[0].__setattr__("name", "laser"), "capabilities[0].name"),
        (lambda d: d.ClearField("capabilities"), "capabilities"),
    ],
)
async def test_a_bad_descriptor_is_refused_naming_the_field(
    registry, running_factory, mutate, field
):
    bad = descriptor()
    mutate(bad)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await registry.RegisterModule(
            registry_pb2.RegisterModuleRequest(descriptor=bad, boot_id="b", request_id="r"),
            timeout=5,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in error_from_rpc(refused.value).violations]
    assert f"descriptor.{field}" in fields
    assert running_factory.factory.modules() == []  # nothing was registered


async def test_a_descriptor_with_too_many_capabilities_is_refused_before_it_is_read(registry):
    bad = descriptor()
    template = bad.capabilities[0]
    for i in range(10_000):
        copy = bad.capabilities.add()
        copy.CopyFrom(template)
        copy.name = f"cutting.laser-{i}"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await registry.RegisterModule(
            registry_pb2.RegisterModuleRequest(descriptor=bad, boot_id="b", request_id="r"),
            timeout=5,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 64" in str(error_from_rpc(refused.value))


async def open_session(stub, module_id, epoch):
    call = stub.Session()
    await call.write(
        registry_pb2.SessionRequest(
            hello=registry_pb2.SessionHello(module_id=module_id, epoch=epoch)
        )
    )
    return call


async def test_heartbeats_are_acknowledged_with_the_remaining_lease(registry):
    reply = await register(registry)
    call = await open_session(registry, "laser-1", reply.epoch)
    await call.write(registry_pb2.SessionRequest(heartbeat=registry_pb2.Heartbeat(sequence=7)))
    ack = await asyncio.wait_for(call.read(), 5)
    assert ack.heartbeat_ack.sequence == 7
    assert ack.heartbeat_ack.lease_remaining.ToTimedelta().total_seconds() == 2.0
    call.cancel()


async def test_a_session_with_a_stale_epoch_is_fenced(registry):
    await register(registry, boot_id="boot-1")
    await register(registry, boot_id="boot-2")  # epoch 2 now
    call = await open_session(registry, "laser-1", 1)
    with pytest.raises(grpc.aio.AioRpcError) as fenced:
        await asyncio.wait_for(call.read(), 5)
    assert fenced.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "epoch 1 is stale" in fenced.value.details()


async def test_a_dropped_session_makes_the_module_suspect_at_once(registry, running_factory):
    reply = await register(registry)
    call = await open_session(registry, "laser-1", reply.epoch)
    await call.write(registry_pb2.SessionRequest(heartbeat=registry_pb2.Heartbeat(sequence=1)))
    await asyncio.wait_for(call.read(), 5)
    call.cancel()
    factory = running_factory.factory
    for _ in range(100):
        if factory.module("laser-1").entry.liveness.value == "suspect":
            break
        await asyncio.sleep(0.02)
    assert factory.module("laser-1").entry.liveness.value == "suspect"


CUT_ONLY = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: cut-only}
spec:
  product: plate
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
"""


async def eventually(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_silent_module_is_lost_when_its_lease_expires_and_gets_no_work(tmp_path):
    running = await start_factory(tmp_path, heartbeat_interval=0.1, lease_ttl=0.3)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = registry_pb2_grpc.ModuleRegistryStub(channel)
            await register(stub)  # registers, then never heartbeats
            factory = running.factory
            order = await factory.submit_order(CUT_ONLY, "cut.yaml", "r1")
            planned = await factory.plan(wait_for_current=True)
            assert [a.module_id for a in planned.assignments] == ["laser-1"]

            await eventually(lambda: factory.module("laser-1").entry.liveness.value == "lost")
            replanned = await factory.plan(wait_for_current=True)
            assert replanned.assignments == ()
            assert order.record.order_id in replanned.unplanned_order_ids
    finally:
        await running.close()


async def test_a_module_whose_lease_expired_registers_again_by_itself(tmp_path):
    running = await start_factory(tmp_path, heartbeat_interval=0.1, lease_ttl=0.4)
    try:
        simulated = await running.plug_in("laser-cutter", "A1")
        # Simulate a stall longer than the lease: the orchestrator declares it lost.
        entry = running.factory.registry.get("laser-cutter-a1")
        running.factory.registry._put(entry, lease_deadline=0.0)
        running.factory.registry.expire()
        assert running.factory.module("laser-cutter-a1").entry.liveness.value == "lost"
        await eventually(
            lambda: running.factory.module("laser-cutter-a1").entry.liveness.value == "alive"
        )
        assert running.factory.module("laser-cutter-a1").entry.epoch == 1  # same boot
        assert simulated.client.registration.epoch == 1
    finally:
        await running.close()


async def test_a_second_orchestrator_cannot_take_the_same_port(running_factory, tmp_path):
    from pnp.orchestrator.api.server import start_server
    from pnp.orchestrator.errors import BadInput as Refused

    with pytest.raises(Refused, match="cannot listen"):
        await start_server(running_factory.factory, running_factory.address)


async def test_deregistration_frees_the_dock(registry):
    reply = await register(registry, module_id="laser-1")
    await registry.DeregisterModule(
        registry_pb2.DeregisterModuleRequest(
            module_id="laser-1", epoch=reply.epoch, request_id="d"
        ),
        timeout=5,
    )
    other = await register(registry, module_id="laser-2", boot_id="x")
    assert other.module_id == "laser-2"


async def test_a_simulated_module_re_registers_after_the_orchestrator_returns(tmp_path):
    running = await start_factory(tmp_path, heartbeat_interval=0.1, lease_ttl=0.5)
    try:
        await running.plug_in("laser-cutter", "A1")
        await running.restart_orchestrator()
        factory = running.factory
        for _ in range(200):
            modules = factory.modules()
            if modules and modules[0].entry.item_state == "NotExecuting":
                break
            await asyncio.sleep(0.05)
        [module] = factory.modules()
        # Same boot, so the same epoch; it came back on its own and reported its state.
        assert (module.entry.module_id, module.entry.epoch) == ("laser-cutter-a1", 1)
        assert module.entry.liveness.value == "alive"
        assert module.entry.item_state == "NotExecuting"
    finally:
        await running.close()
