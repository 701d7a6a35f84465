"""Hot-swap over the API, in process: what-if, the event stream, configure directives."""

from __future__ import annotations

import asyncio

import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import BadInput, NotFound
from tests.conftest import RECIPES, start_factory

BIKE = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
DISCRETE = [
    ("laser-cutter", "A1"),
    ("welding-cell", "A2"),
    ("paint-booth", "A3"),
    ("vision-inspection", "A4"),
]


async def test_what_if_without_a_module_shows_the_cost_and_leaves_the_live_plan(running_factory):
    for kind, dock in [*DISCRETE, ("multi-laser", "C2")]:
        await running_factory.plug_in(kind, dock)
    async with OrchestratorClient(running_factory.address, deadline=60) as client:
        await client.submit_order(BIKE, "bike.yaml", "r1")
        live = await client.get_plan()
        answer = await client.what_if(["paint-booth-a3"], [], [])
        after = await client.get_plan(wait_for_current=False)
    # Without the only paint booth the bike cannot be made at all.
    assert answer.current_kpis.orders_planned == 1
    assert answer.alternative_kpis.orders_planned == 0
    assert answer.alternative_kpis.orders_unplanned == 1
    assert after.version == live.version  # the live plan was not touched
    assert {m.entry.module_id for m in running_factory.factory.modules()} >= {"paint-booth-a3"}


async def test_what_if_with_another_module_of_a_registered_kind(running_factory):
    for kind, dock in DISCRETE:
        await running_factory.plug_in(kind, dock)
    two_bikes = BIKE.replace("quantity: 4", "quantity: 8").replace("lotSize", "# lotSize")
    async with OrchestratorClient(running_factory.address, deadline=60) as client:
        await client.submit_order(two_bikes, "bikes.yaml", "r1")
        await client.submit_order(BIKE, "bike.yaml", "r2")
        answer = await client.what_if([], ["welding-cell@B3"], [])
    assert answer.alternative_kpis.makespan_seconds <= answer.current_kpis.makespan_seconds
    assert "what-if-welding-cell-b3" in {a.module_id for a in answer.alternative.assignments}


async def test_what_if_names_what_is_wrong(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        with pytest.raises(NotFound, match="ghost"):
            await client.what_if(["ghost"], [], [])
        with pytest.raises(BadInput, match="no registered module of kind 'teleporter'"):
            await client.what_if([], ["teleporter@A1"], [])


async def test_the_event_stream_replays_then_follows(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        stream = client.watch_events(0)
        await running_factory.plug_in("laser-cutter", "A1")
        seen = []
        while not any(e.kind == "module.registered" for e in seen):
            seen.append((await asyncio.wait_for(stream.read(), 5)).event)
        stream.cancel()
        # A second watcher from the start sees the same events, numbered without gaps.
        replay = []
        stream = client.watch_events(0)
        while len(replay) < len(seen):
            replay.append((await asyncio.wait_for(stream.read(), 5)).event)
        stream.cancel()
    assert [e.sequence for e in replay] == list(range(1, len(replay) + 1))
    assert [(e.kind, e.subject) for e in replay] == [(e.kind, e.subject) for e in seen]
    registered = next(e for e in seen if e.kind == "module.registered")
    assert registered.subject == "laser-cutter-a1" and "epoch 1" in registered.message


async def test_a_paint_booth_is_told_the_colour_before_each_changeover(tmp_path):
    running = await start_factory(tmp_path, time_scale=2000)
    try:
        booth = await running.plug_in("paint-booth", "A3", time_scale=2000)
        red = PAINT.format(name="red", color="RAL-3020")
        blue = PAINT.format(name="blue", color="RAL-5015")
        factory = running.factory
        for n, text in enumerate([red, blue, red]):
            await factory.submit_order(text, f"paint{n}.yaml", f"r{n}")
        deadline = asyncio.get_running_loop().time() + 30
        while not all(v.state.value == "Completed" for v in factory.orders()):
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        configures = [
            reason for kind, reason in booth.directives if kind == "DIRECTIVE_KIND_CONFIGURE"
        ]
        colours = [a.parameters["color"] for a in factory.attempts()]
        # One configure per colour change, each before the job that needs it.
        changes = [c for i, c in enumerate(colours) if i == 0 or colours[i - 1] != c]
        assert [r.rsplit("=", 1)[1] for r in configures] == changes
        assert booth.configuration == {"color": colours[-1]}
    finally:
        await running.close()


PAINT = """\
apiVersion: pnp/v1
kind: Order
metadata: {{name: {name}}}
spec:
  product: panel
  quantity: 1
  steps:
    - {{id: paint, capability: surface.painting, parameters: {{color: {color}}}}}
"""
