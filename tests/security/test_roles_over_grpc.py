"""Roles on the wire: a viewer's certificate reads pnp.v1.Orchestrator but is refused
every action with PERMISSION_DENIED naming the role it lacks; a planner's acts."""

from __future__ import annotations

import grpc
import pytest

from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from tests.conftest import RECIPES
from tests.security.calls import register
from tests.security.conftest import MODULE_A, PLANNER, VIEWER

pytestmark = pytest.mark.servers


async def refusal(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return refused.value


async def test_a_viewer_reads_the_factory(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        await register(channel, "laser-a")
    async with secure_factory.channel(VIEWER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        modules = await stub.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5)
        await stub.GetPlan(orchestrator_pb2.GetPlanRequest(), timeout=5)
    assert [m.descriptor.module_id for m in modules.modules] == ["laser-a"]


async def test_a_viewer_cannot_drain_submit_cancel_or_ask_what_if(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        await register(channel, "laser-a")
    before = secure_factory.row_counts()
    recipe = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
    async with secure_factory.channel(VIEWER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        refusals = [
            await refusal(
                stub.DrainModule(
                    orchestrator_pb2.DrainModuleRequest(module_id="laser-a"), timeout=5
                )
            ),
            await refusal(
                stub.SubmitOrder(
                    orchestrator_pb2.SubmitOrderRequest(
                        recipe_yaml=recipe, source="frame.yaml", request_id="r1"
                    ),
                    timeout=5,
                )
            ),
            await refusal(
                stub.CancelOrder(orchestrator_pb2.CancelOrderRequest(order_id="ord-1"), timeout=5)
            ),
            await refusal(stub.WhatIf(orchestrator_pb2.WhatIfRequest(), timeout=5)),
        ]
    for refused, method in zip(
        refusals, ("DrainModule", "SubmitOrder", "CancelOrder", "WhatIf"), strict=True
    ):
        assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
        call = f"pnp.v1.Orchestrator/{method}"
        assert refused.details() == (
            f"planner vera (viewer) may not call {call}: it needs the planner role"
        )
    assert not secure_factory.factory.registry.get("laser-a").draining
    assert secure_factory.row_counts() == before


async def test_a_planner_drains(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        await register(channel, "laser-a")
    async with secure_factory.channel(PLANNER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        await stub.DrainModule(orchestrator_pb2.DrainModuleRequest(module_id="laser-a"), timeout=5)
    assert secure_factory.factory.registry.get("laser-a").draining
