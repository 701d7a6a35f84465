"""The audit trail: every event a call causes names its caller (the certificate's
identity and role; ``anonymous`` without TLS), the orchestrator's own decisions name
nobody, and an order's data package carries who submitted and who cancelled it."""

from __future__ import annotations

import asyncio
import json

import pytest

from pnp.orchestrator.api.runtime import open_orchestrator
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, registry_pb2, registry_pb2_grpc
from tests.cli.factory_scenes import run_pnp
from tests.security.calls import register
from tests.security.conftest import MODULE_A, PLANNER

pytestmark = pytest.mark.servers

ANNA = "planner anna (planner)"
RECIPE = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: audited-plate}
spec:
  product: plate
  quantity: 1
  due: 2030-01-01T00:00:00Z
  steps:
    - id: cut
      capability: cutting.laser
      parameters: {material: steel-s235, thickness_mm: 3}
"""


async def events_of(factory) -> list:
    await factory.events.flush()
    return [event async for event in factory.events.watch(0, follow=False)]


async def test_each_call_is_recorded_with_its_callers_certificate(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        await register(channel, "laser-a")
    async with secure_factory.channel(PLANNER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        order = await stub.SubmitOrder(
            orchestrator_pb2.SubmitOrderRequest(
                recipe_yaml=RECIPE, source="plate.yaml", request_id="audit-1"
            ),
            timeout=10,
        )
        order_id = order.order.order_id
        await stub.CancelOrder(
            orchestrator_pb2.CancelOrderRequest(order_id=order_id, request_id="audit-2"),
            timeout=10,
        )
        await stub.DrainModule(orchestrator_pb2.DrainModuleRequest(module_id="laser-a"), timeout=5)
    async with secure_factory.channel(MODULE_A) as channel:
        await registry_pb2_grpc.ModuleRegistryStub(channel).DeregisterModule(
            registry_pb2.DeregisterModuleRequest(module_id="laser-a", epoch=1), timeout=5
        )

    actors = {(e.kind, e.subject): e.actor for e in await events_of(secure_factory.factory)}
    assert actors[("module.registered", "laser-a")] == "module laser-a"
    assert actors[("order.submitted", order_id)] == ANNA
    assert actors[("order.cancelled", order_id)] == ANNA
    assert actors[("module.draining", "laser-a")] == ANNA
    assert actors[("module.deregistered", "laser-a")] == "module laser-a"

    package = await secure_factory.factory.export_order(order_id)
    assert [(a.kind, a.actor) for a in package.audit] == [
        ("order.submitted", ANNA),
        ("order.cancelled", ANNA),
    ]
    assert package.audit[0].message == "audited-plate"


async def test_what_the_orchestrator_decides_itself_names_nobody(secure_factory):
    # Registered, then silent: its lease runs out in the orchestrator's own lease task,
    # not in the registration call that started the lease.
    async with secure_factory.channel(MODULE_A) as channel:
        await register(channel, "laser-a")
    async with asyncio.timeout(30):
        async for lost in secure_factory.factory.events.watch(0):
            if lost.kind == "module.lost":
                break
    assert (lost.subject, lost.actor) == ("laser-a", "")


async def test_without_tls_calls_are_anonymous_and_pnp_events_shows_it(tmp_path):
    (tmp_path / "plate.yaml").write_text(RECIPE)
    async with open_orchestrator(tmp_path / "pnp.db", stop_grace=0.2) as running:
        address = running.server.address
        submitted = await run_pnp(
            address, "order", "submit", str(tmp_path / "plate.yaml"), "--json"
        )
        assert submitted.returncode == 0, submitted.stderr
        shown = await run_pnp(address, "events", "--json")
        text = await run_pnp(address, "events")

    events = [json.loads(line) for line in shown.stdout.splitlines()]
    [submit] = [e for e in events if e["kind"] == "order.submitted"]
    assert submit["actor"] == "anonymous"
    assert "[by anonymous]" in text.stdout
