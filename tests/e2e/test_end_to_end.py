"""End to end over real gRPC: modules register, orders arrive, the plan holds up."""

from __future__ import annotations

import uuid

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.v1 import order_pb2, plan_pb2
from tests.conftest import DEMO_LAYOUT, RECIPES
from tests.e2e.plan_checker import check_plan, transport_table

DISCRETE_FLOOR = [
    ("laser-cutter", "A1"),
    ("welding-cell", "A2"),
    ("paint-booth", "A3"),
    ("vision-inspection", "A4"),
    ("cnc-mill", "B1"),
    ("assembly-cell", "B2"),
    ("multi-laser", "C2"),
]


async def submit(client: OrchestratorClient, name: str):
    path = RECIPES / "orders" / name
    return await client.submit_order(path.read_text(), str(path), uuid.uuid4().hex)


async def test_two_orders_on_simulated_modules_get_a_valid_plan(running_factory):
    for kind, dock in DISCRETE_FLOOR:
        await running_factory.plug_in(kind, dock)
    async with OrchestratorClient(running_factory.address, deadline=30) as client:
        bike = await submit(client, "city-bike-frame.yaml")
        gearbox = await submit(client, "gearbox-housing.yaml")
        plan = await client.get_plan(wait_for_current=True)
        orders = await client.list_orders()
        modules = await client.list_modules()

        assert plan.status in (plan_pb2.PLAN_STATUS_OPTIMAL, plan_pb2.PLAN_STATUS_FEASIBLE)
        assert {a.order_id for a in plan.assignments} == {bike.order_id, gearbox.order_id}
        assert check_plan(plan, orders, modules, transport_table(DEMO_LAYOUT)) == []

        # The line graph of each order names exactly the modules its operations run on.
        for submitted in (bike, gearbox):
            graph = (await client.get_order(submitted.order_id)).line_graph
            planned_on = {a.module_id for a in plan.assignments if a.order_id == submitted.order_id}
            assert {n.module_id for n in graph.nodes} == planned_on
            for edge in graph.edges:
                assert edge.from_module_id in planned_on and edge.to_module_id in planned_on
                assert edge.flows


async def test_lots_flow_separately_through_parallel_branches(running_factory):
    for kind, dock in DISCRETE_FLOOR:
        await running_factory.plug_in(kind, dock)
    async with OrchestratorClient(running_factory.address, deadline=30) as client:
        gearbox = await submit(client, "gearbox-housing.yaml")
        plan = await client.get_plan(wait_for_current=True)
    lots = {a.lot for a in plan.assignments if a.order_id == gearbox.order_id}
    assert lots == {1, 2, 3}  # 6 units in lots of 2
    assert sum(a.units for a in plan.assignments if a.step_id == gearbox.steps[-1].id) == 6


async def test_an_order_nobody_can_make_waits_with_an_explanation(running_factory):
    await running_factory.plug_in("laser-cutter", "A1")
    async with OrchestratorClient(running_factory.address, deadline=30) as client:
        biologic = await submit(client, "biologic-batch.yaml")
        assert biologic.state == order_pb2.ORDER_STATE_NOT_ALLOWED_TO_START
        fermentation = next(u for u in biologic.unmatched if u.capability == "bio.fermentation")
        assert "no registered module offers bio.fermentation" in fermentation.reason
        plan = await client.get_plan(wait_for_current=True)
        assert biologic.order_id in plan.unplanned_order_ids

        # Plug and produce: a capable line arrives and the waiting order is planned.
        for kind, dock in [
            ("bioreactor", "B3"),
            ("chromatography-skid", "B4"),
            ("fill-finish", "C1"),
            ("vision-inspection", "A4"),
        ]:
            await running_factory.plug_in(kind, dock)
        again = (await client.get_order(biologic.order_id)).order
        assert again.state == order_pb2.ORDER_STATE_ALLOWED_TO_START
        assert not again.unmatched
        plan = await client.get_plan(wait_for_current=True)
        assert biologic.order_id not in plan.unplanned_order_ids
        assert {a.order_id for a in plan.assignments} == {biologic.order_id}


async def test_the_closest_module_is_named_when_a_parameter_is_out_of_range(running_factory):
    await running_factory.plug_in("multi-laser", "C2")  # cuts up to 8 mm
    recipe = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
    thick = recipe.replace("thickness_mm: 3", "thickness_mm: 12")
    assert thick != recipe
    async with OrchestratorClient(running_factory.address) as client:
        order = await client.submit_order(thick, "thick.yaml", uuid.uuid4().hex)
    cut = next(u for u in order.unmatched if u.step_id == "cut")
    assert cut.parameter == "thickness_mm"
    assert cut.closest_module_id == "multi-laser-c2"
    assert "0.5..8 mm" in cut.reason and "12" in cut.reason
