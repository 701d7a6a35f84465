"""Hot swap with real processes: modules killed, drained, plugged in and rebooted while
orders run, and a mass loss that must not make the orchestrator thrash."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import grpc
import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto
from pnp.v1 import attempt_pb2, module_pb2, order_pb2, registry_pb2, registry_pb2_grpc
from tests.cli.pnp_process import Running, serve
from tests.conftest import DEMO_LAYOUT

TIME_SCALE = "300"
LEASE = ("--heartbeat-interval", "0.2", "--lease-ttl", "1.0")


def cut_order(name: str, quantity: int) -> str:
    return f"""\
apiVersion: pnp/v1
kind: Order
metadata: {{name: {name}}}
spec:
  product: plate
  quantity: {quantity}
  steps:
    - {{id: cut, capability: cutting.laser, parameters: {{material: steel-s235, thickness_mm: 3}}}}
"""


class Floor:
    """An orchestrator process and module processes, on the demo layout."""

    def __init__(self, tmp_path) -> None:
        self.server, self.address = serve(
            tmp_path / "pnp.db", "--layout", str(DEMO_LAYOUT), "--time-scale", TIME_SCALE, *LEASE
        )
        self.modules: dict[str, Running] = {}

    def plug_in(self, kind: str, dock: str) -> str:
        module_id = f"{kind}-{dock}".lower()
        process = Running(
            "--orchestrator",
            self.address,
            "module",
            "run",
            kind,
            "--dock",
            dock,
            "--time-scale",
            TIME_SCALE,
        )
        process.wait_for_line(r"registered on dock", timeout=60)
        self.modules[module_id] = process
        return module_id

    def close(self) -> None:
        for process in self.modules.values():
            with contextlib.suppress(Exception):
                process.stop()
        _, stderr = self.server.stop()
        assert "Traceback" not in stderr, stderr


@pytest.fixture
def floor(tmp_path):
    running = Floor(tmp_path)
    try:
        yield running
    finally:
        running.close()


async def eventually(check, timeout: float = 60, every: float = 0.1):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(every)


async def all_completed(client) -> bool:
    orders = await client.list_orders()
    return bool(orders) and all(o.state == order_pb2.ORDER_STATE_COMPLETED for o in orders)


async def running_attempt(client):
    attempts = await client.list_attempts()
    return next((a for a in attempts if a.state == attempt_pb2.ATTEMPT_STATE_RUNNING), None)


async def events(client) -> list:
    stream = client.watch_events(0)
    seen = []
    try:
        while True:
            try:
                response = await asyncio.wait_for(stream.read(), 1.0)
            except TimeoutError:
                return seen
            seen.append(response.event)
    finally:
        stream.cancel()


@pytest.mark.slow
async def test_a_module_killed_mid_operation_loses_no_order(floor):
    floor.plug_in("laser-cutter", "A1")
    floor.plug_in("multi-laser", "C2")
    async with OrchestratorClient(floor.address) as client:
        order = await client.submit_order(cut_order("plates", 8), "plates.yaml", "r1")
        victim = await eventually(lambda: running_attempt(client))
        floor.modules[victim.module_id].kill(signal.SIGKILL)

        await eventually(lambda: all_completed(client))
        attempts = await client.list_attempts(order.order_id)
    assert [(a.module_id, a.state) for a in attempts] == [
        (victim.module_id, attempt_pb2.ATTEMPT_STATE_FAILED),
        (
            next(m for m in floor.modules if m != victim.module_id),
            attempt_pb2.ATTEMPT_STATE_COMPLETE,
        ),
    ]
    assert attempts[0].operation_id == attempts[1].operation_id
    assert "lost" in attempts[0].error


@pytest.mark.slow
async def test_a_drained_module_finishes_its_operation_gets_nothing_new_and_is_released(floor):
    floor.plug_in("laser-cutter", "A1")
    floor.plug_in("multi-laser", "C2")
    async with OrchestratorClient(floor.address) as client:
        for n in range(4):
            await client.submit_order(cut_order(f"plates-{n}", 3), f"p{n}.yaml", f"r{n}")
        busy = await eventually(lambda: running_attempt(client))
        drained = await client.drain_module(busy.module_id)
        assert drained.draining
        await eventually(lambda: all_completed(client))
        attempts = await client.list_attempts()
        module = await eventually(lambda: _released(client, busy.module_id), timeout=10)
    on_drained = [a for a in attempts if a.module_id == busy.module_id]
    # The operation running at the drain finished there; nothing else was sent there.
    assert [(a.execution_id, a.state) for a in on_drained] == [
        (busy.execution_id, attempt_pb2.ATTEMPT_STATE_COMPLETE)
    ]
    assert module.item_state == module_pb2.ITEM_STATE_OUT_OF_SERVICE


async def _released(client, module_id):
    module = await client.get_module(module_id)
    if module.released and module.item_state == module_pb2.ITEM_STATE_OUT_OF_SERVICE:
        return module
    return None


@pytest.mark.slow
async def test_a_module_plugged_in_mid_run_receives_work(floor):
    floor.plug_in("laser-cutter", "A1")
    async with OrchestratorClient(floor.address) as client:
        for n in range(8):
            await client.submit_order(cut_order(f"plates-{n}", 3), f"p{n}.yaml", f"r{n}")
        await eventually(lambda: running_attempt(client))
        newcomer = floor.plug_in("multi-laser", "C2")
        # Work still to come once it is in: on a loaded machine its start can take
        # longer than the first eight orders.
        for n in range(4):
            await client.submit_order(cut_order(f"late-{n}", 3), f"l{n}.yaml", f"l{n}")
        await eventually(lambda: all_completed(client))
        attempts = await client.list_attempts()
    assert any(
        a.module_id == newcomer and a.state == attempt_pb2.ATTEMPT_STATE_COMPLETE for a in attempts
    )


@pytest.mark.slow
async def test_a_new_boot_of_a_module_fences_the_old_session(floor):
    """A new boot that takes the id over (here explicitly, with ``replace``: while the
    old process still holds a live session, another unit is refused) gets the next
    epoch, and the old session is fenced: its next heartbeat is refused and it stops."""
    module_id = floor.plug_in("laser-cutter", "A1")
    descriptor = to_proto(
        load_catalog().module_type("laser-cutter"),
        module_id=module_id,
        dock="A1",
        serial="SN-2",
        kind="laser-cutter",
    )
    async with grpc.aio.insecure_channel(floor.address) as channel:
        registry = registry_pb2_grpc.ModuleRegistryStub(channel)
        reboot = await registry.RegisterModule(
            registry_pb2.RegisterModuleRequest(
                descriptor=descriptor, boot_id="second-boot", replace=True
            ),
            timeout=5,
        )
    assert reboot.epoch == 2
    old = floor.modules.pop(module_id)
    await asyncio.to_thread(old.process.wait, 15)  # its next heartbeat is refused: it stops
    code, stderr = old.stop()
    assert code == 1
    assert "epoch 1 is stale" in stderr


@pytest.mark.slow
async def test_losing_most_modules_at_once_freezes_replanning_and_raises_an_alarm(floor):
    docks = ["A1", "A2", "A3", "A4", "B1"]
    ids = [floor.plug_in("vision-inspection", dock) for dock in docks]
    async with OrchestratorClient(floor.address) as client:
        for module_id in ids[:3]:  # 60 % of the floor
            floor.modules[module_id].kill(signal.SIGKILL)

        async def alarm():
            return next((e for e in await events(client) if e.kind == "alarm.mass_loss"), None)

        raised = await eventually(alarm, timeout=20, every=0.5)
        await asyncio.sleep(1.5)  # more than a lease: nothing may replan meanwhile
        log = await events(client)
    assert "replanning frozen" in raised.message
    replans_after = [e for e in log if e.kind == "plan.updated" and e.sequence > raised.sequence]
    assert replans_after == []
    assert sum(1 for e in log if e.kind == "module.lost") == 3
