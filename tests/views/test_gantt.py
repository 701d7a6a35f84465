"""Gantt pictures from plain rows: one element per bar, fixed colours, a readable axis,
trouble that stands out, and file names that say the format."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.views import BarStatus, GanttBar, GanttChart, picture_format, write_gantt
from pnp.orchestrator.views.colours import FAILED_EDGE, PALETTE, order_colour
from pnp.orchestrator.views.time_axis import offset_label, tick_step, ticks
from tests.views.browser import drawn_operation_ids, rendered_bar_count, rendered_dom
from tests.views.svg import png_size, svg_element, svg_ids

ORIGIN = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def chart() -> GanttChart:
    return GanttChart(
        title="history of order 1",
        origin=ORIGIN,
        bars=[
            GanttBar("laser-a1", 0, 600, "1", "1/cut", "cut", BarStatus.FAILED, "x-1"),
            GanttBar("laser-c2", 620, 1300, "1", "1/cut", "cut", BarStatus.COMPLETE, "x-2"),
            GanttBar("weld-a2", 1350, 2000, "1", "1/weld", "weld", BarStatus.RUNNING, "x-3"),
            GanttBar("laser-c2", 1300, 1900, "2", "2/cut", "cut", BarStatus.COMPLETE, "x-4"),
        ],
        lanes=["laser-a1", "laser-c2", "weld-a2", "paint-a3"],
        now=2000,
    )


def test_every_bar_is_an_svg_element_named_by_its_identifier(tmp_path):
    picture = tmp_path / "history.svg"
    write_gantt(chart(), picture)
    assert {"x-1", "x-2", "x-3", "x-4"} <= set(svg_ids(picture))
    assert "paint-a3" in picture.read_text()  # an idle module keeps its lane


def test_a_failed_attempt_is_outlined_in_red_and_the_legend_says_so(tmp_path):
    picture = tmp_path / "history.svg"
    write_gantt(chart(), picture)
    import xml.etree.ElementTree as ElementTree

    failed = ElementTree.tostring(svg_element(picture, "x-1"), encoding="unicode")
    worked = ElementTree.tostring(svg_element(picture, "x-2"), encoding="unicode")
    assert FAILED_EDGE in failed and FAILED_EDGE not in worked
    text = picture.read_text()
    assert "failed / interrupted" in text and "running" in text


@pytest.mark.servers
def test_the_page_draws_every_bar_in_a_browser(tmp_path):
    page = tmp_path / "history.html"
    write_gantt(chart(), page)
    dom = rendered_dom(page, tmp_path)
    assert sorted(drawn_operation_ids(dom)) == ["x-1", "x-2", "x-3", "x-4"]
    assert rendered_bar_count(dom) == 4
    assert "(failed attempt)" in dom and "(running)" in dom


def test_the_png_is_a_picture(tmp_path):
    picture = tmp_path / "history.png"
    write_gantt(chart(), picture)
    width, height = png_size(picture)
    assert width > 600 and height > 200


def test_the_same_chart_gives_the_same_svg(tmp_path):
    write_gantt(chart(), tmp_path / "a.svg")
    write_gantt(chart(), tmp_path / "b.svg")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


@pytest.mark.parametrize("name", ["plan.pdf", "plan", "plan.html.bak"])
def test_a_file_name_without_a_picture_suffix_is_bad_input(name, tmp_path):
    with pytest.raises(BadInput, match=r"\.html, \.svg, \.png"):
        write_gantt(chart(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_the_suffix_is_read_without_regard_to_case():
    assert picture_format("PLAN.SVG", "--gantt").value == ".svg"


def test_an_order_keeps_its_colour_whatever_else_is_drawn():
    assert order_colour("ord-00007") == order_colour("ord-00007")
    assert order_colour("ord-00007") in PALETTE
    assert len({order_colour(f"ord-{n:05d}") for n in range(40)}) > len(PALETTE) // 2


def test_the_time_axis_uses_round_steps_and_reads_in_hours_and_minutes():
    assert tick_step(3 * 3600) == 1800
    assert tick_step(90) == 10
    positions = ticks(0, 3 * 3600)
    assert positions[0] == (0, "+0:00") and positions[-1] == (10800, "+3:00")
    assert offset_label(45, 15) == "+0:00:45"
    assert offset_label(90000, 3600) == "+1d 1:00"
