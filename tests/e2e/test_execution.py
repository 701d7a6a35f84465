"""The executor drives real simulated modules over OPC UA: attempts, failures, re-runs."""

from __future__ import annotations

import asyncio

from pnp.orchestrator.domain.attempts import AttemptState
from pnp.orchestrator.domain.orders import OrderState
from tests.conftest import start_factory

CUT_ONLY = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: plate}
spec:
  product: plate
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
"""
SCALE = 500


async def until_completed(factory, order_id: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while factory.order(order_id).state is not OrderState.COMPLETED:
        assert asyncio.get_running_loop().time() < deadline, factory.attempts(order_id)
        await asyncio.sleep(0.05)


async def test_an_aborted_operation_runs_again_on_another_capable_module(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE)
    try:
        # The faster laser always fails; the slower one works.
        await running.plug_in("laser-cutter", "A1", time_scale=SCALE, failure_rate=1.0)
        await running.plug_in("multi-laser", "C2", time_scale=SCALE)
        factory = running.factory
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until_completed(factory, order.order_id)
        history = [(a.module_id, a.state) for a in factory.attempts(order.order_id)]
        assert history == [
            ("laser-cutter-a1", AttemptState.FAILED),
            ("multi-laser-c2", AttemptState.COMPLETE),
        ]
        first = factory.attempts(order.order_id)[0]
        assert "aborted" in first.error
    finally:
        await running.close()


async def test_a_completed_attempt_records_module_epoch_times_parameters_and_results(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE)
    try:
        await running.plug_in("laser-cutter", "A1", time_scale=SCALE)
        factory = running.factory
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until_completed(factory, order.order_id)
        [attempt] = factory.attempts(order.order_id)
        assert attempt.state is AttemptState.COMPLETE
        assert (attempt.module_id, attempt.epoch, attempt.units) == ("laser-cutter-a1", 1, 1)
        assert attempt.parameters == {"material": "steel-s235", "thickness_mm": 3}
        assert attempt.results["units"] == 1 and attempt.results["duration_s"] > 0
        assert attempt.started_at < attempt.ended_at
        # The module is left Idle for its next job.
        await asyncio.sleep(0.3)
        link = factory.executor.links["laser-cutter-a1"][0]
        assert link.skills["cutting.laser"].state == "Idle"
        # And the record is in the database, not only in memory.
        stored = factory.store.attempts.all()
        assert [(a.execution_id, a.state) for a in stored] == [
            (attempt.execution_id, attempt.state)
        ]
    finally:
        await running.close()


async def test_an_operation_in_flight_across_an_orchestrator_restart_runs_once(tmp_path):
    running = await start_factory(tmp_path, time_scale=100, heartbeat_interval=0.2, lease_ttl=1.0)
    try:
        await running.plug_in("laser-cutter", "A1", time_scale=100)
        order = (await running.factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        while not any(a.state is AttemptState.RUNNING for a in running.factory.attempts()):
            await asyncio.sleep(0.02)
        await running.restart_orchestrator()  # the module keeps working meanwhile
        await until_completed(running.factory, order.order_id)
        [attempt] = running.factory.attempts(order.order_id)
        assert attempt.state is AttemptState.COMPLETE  # picked up, not failed and re-run
        events = [e.kind for e in await _events(running.factory)]
        assert "operation.failed" not in events
    finally:
        await running.close()


async def _events(factory):
    return [event async for event in factory.events.watch(0, follow=False)]
