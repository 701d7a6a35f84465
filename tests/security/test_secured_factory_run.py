"""A factory running fully secured: a module registers over mutual TLS, the executor
drives its skill over OPC UA SignAndEncrypt, and a planner sees the order completed."""

from __future__ import annotations

import asyncio

import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.v1 import order_pb2
from tests.security.conftest import MODULE_A, PLANNER, open_secure_factory

pytestmark = pytest.mark.servers

TIME_SCALE = 600.0
RECIPE = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: secured-plate}
spec:
  product: plate
  quantity: 1
  due: 2030-01-01T00:00:00Z
  steps:
    - id: cut
      capability: cutting.laser
      parameters: {material: steel-s235, thickness_mm: 3}
"""


async def test_an_order_runs_to_completion_with_everything_secured(tmp_path, factory_pki):
    async with open_secure_factory(tmp_path, factory_pki, time_scale=TIME_SCALE) as running:
        files = factory_pki.files(MODULE_A)
        module = SimulatedModule(
            SimulatedModuleConfig(
                kind="laser-cutter",
                dock="A1",
                module_id="laser-a",
                orchestrator=running.address,
                time_scale=TIME_SCALE,
                security=ModuleSecurity(files.ca, files.certificate, files.key),
            )
        )
        task = asyncio.create_task(module.run())
        try:
            await asyncio.wait_for(module.client.registered.wait(), 20)
            async with OrchestratorClient(
                running.address, tls=factory_pki.files(PLANNER)
            ) as client:
                order = await client.submit_order(RECIPE, "secured-plate.yaml", "r-secured")
                async with asyncio.timeout(60):
                    while (await client.get_order(order.order_id)).order.state != (
                        order_pb2.ORDER_STATE_COMPLETED
                    ):
                        await asyncio.sleep(0.2)
                [attempt] = await client.list_attempts(order.order_id)
            assert attempt.module_id == "laser-a"
            assert module.skills["cutting.laser"].executions_started == 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
