"""Pictures that cannot be drawn: a clear message, a non-zero exit, no traceback, and
no file left behind."""

from __future__ import annotations

import pytest

from tests.cli.factory_scenes import EXAMPLE_ORDERS, plug_floor, run_pnp, submit
from tests.conftest import start_factory


def refused(done, exit_code: int, *phrases: str) -> None:
    assert done.returncode == exit_code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "--gantt"],
        ["history", "--gantt"],
        ["order", "show", "1", "--graph"],
        ["plan", "what-if", "--without", "x", "--gantt-before"],
    ],
)
async def test_an_unknown_picture_suffix_is_bad_input_before_anything_is_asked(command, tmp_path):
    picture = tmp_path / "chart.pdf"
    # No orchestrator listens here: the name is refused before any call is made.
    done = await run_pnp("127.0.0.1:1", *command, str(picture))
    refused(done, 2, "chart.pdf", ".html, .svg, .png")
    assert not picture.exists()


async def test_no_plan_yet_means_nothing_to_draw(running_factory, tmp_path):
    picture = tmp_path / "plan.html"
    done = await run_pnp(running_factory.address, "plan", "--gantt", str(picture))
    refused(done, 1, "no operations to draw yet")
    assert not picture.exists()

    done = await run_pnp(running_factory.address, "history", "--gantt", str(picture))
    refused(done, 1, "nothing has run yet")
    assert not picture.exists()


async def test_an_unknown_order_is_not_found(running_factory, tmp_path):
    picture = tmp_path / "line.svg"
    done = await run_pnp(running_factory.address, "order", "show", "999", "--graph", str(picture))
    refused(done, 1, "no order '999'")
    assert not picture.exists()

    done = await run_pnp(
        running_factory.address, "history", "--order", "999", "--gantt", str(picture)
    )
    refused(done, 1, "no order '999'")
    assert not picture.exists()


async def test_an_order_without_a_line_has_no_picture(tmp_path):
    running = await start_factory(tmp_path)
    try:
        await plug_floor(running, [("laser-cutter", "A1")])  # nothing can weld
        [order_id] = await submit(running.address, EXAMPLE_ORDERS[0])
        picture = tmp_path / "line.png"
        done = await run_pnp(running.address, "order", "show", order_id, "--graph", str(picture))
    finally:
        await running.close()
    refused(done, 1, "no production line")
    assert not picture.exists()


async def test_an_unwritable_picture_is_bad_input(tmp_path):
    running = await start_factory(tmp_path)
    try:
        await plug_floor(running)
        await submit(running.address, EXAMPLE_ORDERS[0])
        picture = tmp_path / "no-such-folder" / "plan.svg"
        done = await run_pnp(running.address, "plan", "--gantt", str(picture))
    finally:
        await running.close()
    refused(done, 2, "cannot write")
    assert not picture.exists()
