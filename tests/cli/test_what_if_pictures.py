"""`pnp plan what-if`: current | what-if | delta side by side, and both plans drawn."""

from __future__ import annotations

import json

from tests.cli.factory_scenes import EXAMPLE_ORDERS, plug_floor, run_pnp, submit
from tests.conftest import start_factory
from tests.views.svg import svg_ids


async def test_what_if_compares_side_by_side_and_draws_both_plans(tmp_path):
    running = await start_factory(tmp_path)
    before, after = tmp_path / "before.svg", tmp_path / "after.html"
    try:
        await plug_floor(running)
        await submit(running.address, *EXAMPLE_ORDERS)
        change = ("plan", "what-if", "--without", "paint-booth-a3")
        table = await run_pnp(running.address, *change)
        drawn = await run_pnp(
            running.address,
            *change,
            "--gantt-before",
            str(before),
            "--gantt-after",
            str(after),
            "--json",
        )
    finally:
        await running.close()

    assert table.returncode == 0, table.stderr
    header = next(line for line in table.stdout.splitlines() if "KPI" in line)
    assert header.index("current") < header.index("what-if") < header.index("delta")
    assert "worse" in table.stdout  # no paint booth: the painted frame cannot be made

    assert drawn.returncode == 0, drawn.stderr
    report = json.loads(drawn.stdout)
    rows = {row["kpi"]: row for row in report["comparison"]}
    unmade = rows["orders that cannot be made"]
    assert unmade["what_if"] > unmade["current"] and unmade["verdict"] == "worse"
    operations = {a["operation_id"] for a in report["current_plan"]["assignments"]}
    assert operations <= set(svg_ids(before))
    assert "what-if plan" in after.read_text()
    assert "paint-booth-a3" not in {
        a["module_id"] for a in report["alternative_plan"]["assignments"]
    }
