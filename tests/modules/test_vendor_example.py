"""The vendor example in docs/vendors.md passes the kit and takes work from a real orchestrator."""

from __future__ import annotations

import asyncio

import pytest

from pnp.orchestrator.domain.attempts import AttemptState
from pnp.orchestrator.domain.orders import OrderState
from pnp.sdk.conformance import check_module
from pnp.sdk.examples.torque_station import build
from tests.conftest import start_factory

pytestmark = pytest.mark.servers

FASTEN = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: bracket}
spec:
  product: bracket
  quantity: 3
  steps:
    - {id: fasten, capability: assembly.fastening, parameters: {torque_nm: 25}}
"""


async def test_the_vendor_example_passes_the_conformance_kit():
    module = build("torque-1", "B2", orchestrator=None, time_scale=500)
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 10)
        results = await check_module(module.endpoint, timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [r.name for r in results if not r.passed] == []


async def test_the_vendor_example_plugs_in_and_does_real_work(tmp_path):
    running = await start_factory(tmp_path, time_scale=500)
    module = build("torque-1", "B2", orchestrator=running.address, time_scale=500)
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.client.registered.wait(), 10)
        factory = running.factory
        order = (await factory.submit_order(FASTEN, "bracket.yaml", "r1")).record
        deadline = asyncio.get_running_loop().time() + 20
        while factory.order(order.order_id).state is not OrderState.COMPLETED:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        [attempt] = factory.attempts(order.order_id)
        assert attempt.state is AttemptState.COMPLETE and attempt.module_id == "torque-1"
        assert len(attempt.results["torque_nm"]) == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await running.close()
