"""Line pictures from plain rows: docks where the layout puts them, modules on docks."""

from __future__ import annotations

from pnp.orchestrator.views import DockSpot, LineFlow, LinePicture, LineStation, write_line_picture
from tests.views.svg import svg_ids


def line(docks) -> LinePicture:
    return LinePicture(
        title="order 1: production line",
        docks=docks,
        stations=[
            LineStation("laser-a1", "A1", ("1/cut",)),
            LineStation("weld-a2", "A2", ("1/weld",)),
        ],
        flows=[LineFlow("laser-a1", "weld-a2", 20, ("cut->weld",))],
    )


def test_modules_stand_at_their_docks_positions():
    picture = line([DockSpot("A1", 0, 0), DockSpot("A2", 12, 0), DockSpot("B1", 0, 12)])
    assert picture.station_positions() == {"laser-a1": (0, 0), "weld-a2": (12, 0)}


def test_on_an_open_floor_the_docks_of_the_line_are_set_out_in_a_row():
    positions = line([]).dock_positions()
    assert positions == {"A1": (0.0, 0.0), "A2": (12.0, 0.0)}


def test_the_svg_names_docks_modules_and_flows(tmp_path):
    picture = tmp_path / "line.svg"
    write_line_picture(line([DockSpot("A1", 0, 0), DockSpot("A2", 12, 0)]), picture)
    ids = set(svg_ids(picture))
    assert {"dock:A1", "dock:A2", "module:laser-a1", "module:weld-a2"} <= ids
    assert "flow:laser-a1->weld-a2" in ids
    assert "20 s" in picture.read_text()
