"""The example orders and the demo layout shipped in recipes/ load and mean what they say."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pnp.orchestrator.domain.layout import load_layout_file
from pnp.orchestrator.domain.recipe_loader import load_recipe_file

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
ORDERS = sorted((RECIPES / "orders").glob("*.yaml"))


def test_there_are_at_least_three_example_orders():
    assert {path.name for path in ORDERS} >= {
        "city-bike-frame.yaml",
        "biologic-batch.yaml",
        "gearbox-housing.yaml",
    }


@pytest.mark.parametrize("path", ORDERS, ids=lambda path: path.name)
def test_every_example_order_loads_and_is_due_in_december_2026(path: Path):
    recipe = load_recipe_file(path)
    assert recipe.spec.due is not None
    assert (recipe.spec.due.year, recipe.spec.due.month) == (2026, 12)


def test_city_bike_frame_is_a_chain_of_four_steps():
    recipe = load_recipe_file(RECIPES / "orders" / "city-bike-frame.yaml")
    assert recipe.spec.quantity == 4
    assert recipe.lot_sizes() == [4]
    assert [step.capability for step in recipe.steps_in_order()] == [
        "cutting.laser",
        "joining.welding",
        "surface.painting",
        "inspection.vision",
    ]
    assert recipe.spec.due == datetime(2026, 12, 1, 16, tzinfo=UTC)


def test_biologic_batch_is_one_unit_through_the_process_chain():
    recipe = load_recipe_file(RECIPES / "orders" / "biologic-batch.yaml")
    assert recipe.lot_sizes() == [1]
    assert [step.capability for step in recipe.steps_in_order()] == [
        "bio.fermentation",
        "bio.purification",
        "pharma.filling",
        "inspection.vision",
    ]


def test_gearbox_housing_has_parallel_branches_and_three_lots():
    recipe = load_recipe_file(RECIPES / "orders" / "gearbox-housing.yaml")
    assert recipe.lot_sizes() == [2, 2, 2]
    fasten = recipe.step("fasten")
    assert fasten.capability == "assembly.fastening"
    assert {recipe.step(step_id).capability for step_id in fasten.after} == {
        "machining.milling",
        "cutting.laser",
    }
    assert recipe.steps_in_order()[-1].capability == "inspection.vision"


def test_demo_layout_has_ten_docks_and_a_light_duty_c2():
    layout = load_layout_file(RECIPES / "layouts" / "demo-factory.yaml")
    assert layout.dock_ids == ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2"]
    assert layout.dock("C2").limits.power_kw == 15
    assert layout.dock("A1").limits.power_kw == 80
    assert all(20 <= link.seconds <= 60 for link in layout.spec.links)


def test_demo_layout_transport_takes_the_fastest_route():
    layout = load_layout_file(RECIPES / "layouts" / "demo-factory.yaml")
    assert layout.transport_seconds("A1", "A1") == 0
    assert layout.transport_seconds("A1", "A4") == 60  # along the fast aisle
    assert layout.transport_seconds("B1", "B4") == 90  # row B itself is the fastest here
    assert layout.transport_seconds("C2", "A1") == 125  # C2-B2-A2-A1
    assert layout.transport_seconds("A4", "C1") == layout.transport_seconds("C1", "A4")
