"""`pnp plan --gantt` and `pnp history --gantt`: every operation and attempt is drawn,
in an interactive page (checked in a real browser), an SVG and a PNG."""

from __future__ import annotations

import json

import pytest

from tests.cli.factory_scenes import (
    EXAMPLE_ORDERS,
    plug_floor,
    run_pnp,
    submit,
    until_orders_done,
)
from tests.conftest import start_factory
from tests.views.browser import drawn_operation_ids, rendered_bar_count, rendered_dom
from tests.views.svg import png_size, svg_element, svg_ids

FAILED_EDGE = "#d00000"


@pytest.fixture
async def planned(tmp_path):
    """Four modules at time scale 1 (work takes minutes) and the two example orders."""
    running = await start_factory(tmp_path)
    try:
        await plug_floor(running)
        await submit(running.address, *EXAMPLE_ORDERS)
        yield running
    finally:
        await running.close()


async def draw_plan(address: str, picture) -> dict:
    """Draws the plan and returns the very plan that was drawn (from --json)."""
    done = await run_pnp(address, "plan", "--gantt", str(picture), "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["assignments"], "the example orders should be planned"
    return plan


async def test_the_gantt_page_draws_every_planned_operation_in_a_browser(planned, tmp_path):
    page = tmp_path / "plan.html"
    plan = await draw_plan(planned.address, page)

    html = page.read_text()
    # Small: plotly.js is beside it, once per folder, not inside (it still opens offline).
    assert len(html) < 200_000
    [bundle] = tmp_path.glob("plotly-*.min.js")
    assert f'<script charset="utf-8" src="{bundle.name}"></script>' in html
    assert "http" not in html.split("<body>")[0]  # nothing from the internet
    dom = rendered_dom(page, tmp_path)
    drawn = drawn_operation_ids(dom)
    assert sorted(drawn) == sorted(a["operation_id"] for a in plan["assignments"])
    assert rendered_bar_count(dom) == len(plan["assignments"])
    assert f"plan v{plan['version']}" in dom


async def test_the_gantt_svg_has_one_element_per_operation_on_its_module(planned, tmp_path):
    picture = tmp_path / "plan.svg"
    plan = await draw_plan(planned.address, picture)

    ids = svg_ids(picture)
    operations = [a["operation_id"] for a in plan["assignments"]]
    assert sorted(i for i in ids if i in operations) == sorted(operations)
    text = picture.read_text()
    for module_id in {a["module_id"] for a in plan["assignments"]}:
        assert module_id in text  # a lane per module
    assert f"plan v{plan['version']}" in text


async def test_the_gantt_png_is_a_picture_of_sensible_size(planned, tmp_path):
    picture = tmp_path / "plan.png"
    await draw_plan(planned.address, picture)

    width, height = png_size(picture)
    assert 800 <= width <= 3000 and 200 <= height <= 2000


@pytest.mark.slow
async def test_history_shows_the_failed_attempt_apart_from_the_one_that_worked(tmp_path):
    running = await start_factory(tmp_path, time_scale=500)
    try:
        # The fast laser always fails: each cut runs again on the compact laser.
        await running.plug_in("laser-cutter", "A1", time_scale=500, failure_rate=1.0)
        await plug_floor(running, [("multi-laser", "C2"), *LINE_REST], time_scale=500)
        order_ids = await submit(running.address, EXAMPLE_ORDERS[0])
        await until_orders_done(running, order_ids)

        svg, page = tmp_path / "history.svg", tmp_path / "history.html"
        for picture in (svg, page):
            done = await run_pnp(
                running.address, "history", "--order", order_ids[0], "--gantt", str(picture)
            )
            assert done.returncode == 0, done.stderr
        attempts = json.loads(
            (await run_pnp(running.address, "history", "--order", order_ids[0], "--json")).stdout
        )["attempts"]
    finally:
        await running.close()

    failed = [a for a in attempts if a["state"] == "failed"]
    assert failed and len(attempts) > len(failed)
    executions = sorted(a["execution_id"] for a in attempts)
    assert sorted(i for i in svg_ids(svg) if i in executions) == executions
    for attempt in failed:
        drawn = svg_element(svg, attempt["execution_id"])
        assert FAILED_EDGE in ElementText.of(drawn)  # red outline, hatched
    assert "failed / interrupted" in svg.read_text()  # and the legend says what it means

    dom = rendered_dom(page, tmp_path)
    assert sorted(drawn_operation_ids(dom)) == executions
    assert "failed attempt" in dom


LINE_REST = [("welding-cell", "A2"), ("paint-booth", "A3"), ("vision-inspection", "A4")]


class ElementText:
    @staticmethod
    def of(element) -> str:
        import xml.etree.ElementTree as ElementTree

        return ElementTree.tostring(element, encoding="unicode")
