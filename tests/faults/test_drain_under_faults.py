"""A drain is the planner's decision: a network blip must not undo it.

Same floor as test_network_faults (two welding cells behind fault proxies). One cell is
drained in the middle of an operation; then its gRPC connection is reset, so it
registers again at once, with the same boot (the same epoch). It must still be
draining: no new work starts on it, and the other cell does the rest.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.floor import ProxiedFloor, weld_order
from tests.faults.test_network_faults import CELLS, ORDERS, SERVE, TIME_SCALE

pytestmark = [
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.xdist_group("floors"),
    pytest.mark.timeout(300),
]


async def test_a_drained_module_stays_drained_after_its_connection_is_reset(tmp_path):
    async with ProxiedFloor(tmp_path, CELLS, time_scale=TIME_SCALE, serve_options=SERVE) as floor:
        for n in range(ORDERS):
            await floor.submit(weld_order(n), f"bracket-{n:02d}.yaml", f"weld-{n}")
        running = await floor.running_attempt()
        drained = floor.module(running.module_id)
        async with floor.client() as client:
            await client.drain_module(drained.module_id)
        reregistered = len(floor.events("module.registered"))
        drained.grpc.reset()  # a blip: the session is reset, the module registers again
        await floor.alive(drained.module_id)
        async with floor.client() as client:
            while len(floor.events("module.registered")) == reregistered:
                await asyncio.sleep(0.1)  # the re-registration has not landed yet
            still = await client.get_module(drained.module_id)
        await floor.all_completed(ORDERS)
        verdict = await floor.verdict()
    assert verdict.problems == []
    assert still.draining
    after_drain = [
        a.execution_id
        for a in verdict.attempts
        if a.module_id == drained.module_id and a.execution_id != running.execution_id
        and a.started_at.ToNanoseconds() > running.started_at.ToNanoseconds()
    ]  # fmt: skip
    assert after_drain == [], "new work started on a drained module"
