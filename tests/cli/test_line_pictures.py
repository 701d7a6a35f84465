"""`pnp order show ID --graph FILE`: the order's line drawn over the factory floor, and
GetLayout, which gives the floor to any client."""

from __future__ import annotations

import json

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.domain.layout import load_layout_file
from tests.cli.factory_scenes import EXAMPLE_ORDERS, plug_floor, run_pnp, submit
from tests.conftest import DEMO_LAYOUT, start_factory
from tests.views.browser import rendered_dom
from tests.views.svg import png_size, svg_element, svg_ids


async def test_the_line_picture_puts_modules_on_their_docks_with_transport_times(tmp_path):
    running = await start_factory(tmp_path)
    try:
        await plug_floor(running)
        [order_id] = await submit(running.address, EXAMPLE_ORDERS[0])
        svg, png, page = (tmp_path / f"line.{suffix}" for suffix in ("svg", "png", "html"))
        shown = None
        for picture in (svg, png, page):
            done = await run_pnp(
                running.address, "order", "show", order_id, "--graph", str(picture), "--json"
            )
            assert done.returncode == 0, done.stderr
            shown = json.loads(done.stdout)
    finally:
        await running.close()

    graph = shown["line_graph"]
    ids = set(svg_ids(svg))
    every_dock = {f"dock:{dock}" for dock in load_layout_file(DEMO_LAYOUT).dock_ids}
    assert every_dock <= ids  # the whole floor, used docks or not
    assert {f"module:{n['module_id']}" for n in graph["nodes"]} <= ids
    flows = {f"flow:{e['from_module_id']}->{e['to_module_id']}" for e in graph["edges"]}
    assert flows and flows <= ids
    text = svg.read_text()
    for edge in graph["edges"]:
        assert f"{edge['transport_seconds']:g} s" in text
    # The laser cutter sits on dock A1, drawn at A1's position (0, 0).
    assert svg_element(svg, "module:laser-cutter-a1") is not None
    width, height = png_size(png)
    assert width > 300 and height > 300
    assert "<script src=" not in page.read_text()
    dom = rendered_dom(page, tmp_path)  # the page draws, offline, in a real browser
    for node in graph["nodes"]:
        assert f">{node['module_id']}<" in dom


async def test_get_layout_gives_docks_positions_and_links(running_factory):
    async with OrchestratorClient(running_factory.address) as client:
        layout = await client.get_layout()
    loaded = load_layout_file(DEMO_LAYOUT)
    assert layout.name == "demo-factory"
    assert [d.dock_id for d in layout.docks] == loaded.dock_ids
    c2 = next(d for d in layout.docks if d.dock_id == "C2")
    assert (c2.x_m, c2.y_m, c2.power_kw) == (12, 24, 15)
    assert len(layout.links) == len(loaded.spec.links)


async def test_an_open_floor_has_no_layout_and_its_line_is_set_out_in_a_row(tmp_path):
    running = await start_factory(tmp_path, layout=None)
    try:
        async with OrchestratorClient(running.address) as client:
            assert await client.get_layout() is None
        await plug_floor(running)
        [order_id] = await submit(running.address, EXAMPLE_ORDERS[0])
        picture = tmp_path / "line.svg"
        done = await run_pnp(running.address, "order", "show", order_id, "--graph", str(picture))
    finally:
        await running.close()
    assert done.returncode == 0, done.stderr
    assert "open floor" in picture.read_text()
    assert "module:laser-cutter-a1" in svg_ids(picture)
