"""The whole path as a planner runs it: `pnp serve`, `pnp module run`, `pnp order ...`,
each its own process, talking over loopback gRPC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.cli.pnp_process import Running, pnp, serve
from tests.cli.test_json_convention import convention_breaches
from tests.conftest import DEMO_LAYOUT, RECIPES
from tests.e2e.package_checker import SCHEMA_FILE

FLOOR = ["laser-cutter-a1", "welding-cell-a2", "paint-booth-a3", "vision-inspection-a4"]


@pytest.fixture
def orchestrator(tmp_path):
    server, address = serve(tmp_path / "pnp.db", "--layout", str(DEMO_LAYOUT))
    try:
        yield address
    finally:
        code, stderr = server.stop()
        assert code == 0, stderr
        assert "WITHOUT TLS" in stderr  # insecure mode says so loudly
        assert "Traceback" not in stderr


@pytest.mark.slow
def test_planner_commands_against_separate_processes(orchestrator):
    modules = [
        Running("--orchestrator", orchestrator, "module", "run", kind, "--dock", dock)
        for kind, dock in [
            ("laser-cutter", "A1"),
            ("welding-cell", "A2"),
            ("paint-booth", "A3"),
            ("vision-inspection", "A4"),
        ]
    ]
    try:
        for module in modules:
            module.wait_for_line(r"registered on dock")
        at = ("--orchestrator", orchestrator)

        listed = json.loads(pnp(*at, "modules", "--json").stdout)["modules"]
        assert sorted(m["descriptor"]["dock"] for m in listed) == ["A1", "A2", "A3", "A4"]
        assert pnp(*at, "module", "show", "paint-booth-a3").stdout.count("RAL-3020") == 1

        submitted = pnp(
            *at, "order", "submit", str(RECIPES / "orders" / "city-bike-frame.yaml"), "--json"
        )
        assert submitted.returncode == 0, submitted.stderr
        order_id = json.loads(submitted.stdout)["orders"][0]["order_id"]

        # At time scale 1 the cut takes minutes: the order is running, the rest planned.
        orders = json.loads(pnp(*at, "orders", "--json").stdout)["orders"]
        assert [o["order_id"] for o in orders] == [order_id]
        assert orders[0]["state"] in ("allowed to start", "running")
        plan = json.loads(pnp(*at, "plan", "--json").stdout)["plan"]
        assert {a["module_id"] for a in plan["assignments"]} <= set(FLOOR)
        assert {a["step_id"] for a in plan["assignments"]} >= {"weld", "paint", "inspect"}
        shown = pnp(*at, "order", "show", order_id)
        assert "laser-cutter-a1 -> welding-cell-a2" in shown.stdout  # the running cut too

        # An order the floor cannot make is accepted, and explained.
        waiting = pnp(*at, "order", "submit", str(RECIPES / "orders" / "biologic-batch.yaml"))
        assert waiting.returncode == 0
        assert "no registered module offers bio.fermentation" in waiting.stdout

        # What if the paint booth left? The live plan stays; the table says the cost.
        what_if = pnp(*at, "plan", "what-if", "--without", "paint-booth-a3", "--json")
        assert what_if.returncode == 0, what_if.stderr
        report = json.loads(what_if.stdout)
        assert report["alternative"]["orders_unplanned"] > report["current"]["orders_unplanned"]
        table = pnp(*at, "plan", "what-if", "--with", "paint-booth@B1")
        assert "orders on time" in table.stdout and "makespan" in table.stdout

        drained = pnp(*at, "module", "drain", "vision-inspection-a4")
        assert drained.returncode == 0 and "vision-inspection-a4" in drained.stdout

        log = [json.loads(line) for line in pnp(*at, "events", "--json").stdout.splitlines()]
        kinds = [e["kind"] for e in log]
        assert kinds.count("module.registered") == 4
        assert "order.submitted" in kinds and "module.draining" in kinds
        assert [e["sequence"] for e in log] == list(range(1, len(log) + 1))
    finally:
        for module in modules:
            _, stderr = module.stop()
            assert "Traceback" not in stderr


def test_a_module_on_a_dock_that_does_not_exist_exits_with_the_reason(orchestrator):
    result = pnp("--orchestrator", orchestrator, "module", "run", "laser-cutter", "--dock", "Z9")
    assert result.returncode == 2
    assert "Z9" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_module_kind_is_bad_input():
    result = pnp("module", "run", "teleporter", "--dock", "A1")
    assert result.returncode == 2
    assert "unknown module kind 'teleporter'" in result.stderr


@pytest.mark.slow
def test_the_demo_tells_the_story_and_writes_charts_and_packages(tmp_path):
    """`pnp demo`: modules plug in, orders arrive, one module is unplugged mid-run and
    another fails, a replacement comes, every order completes; charts and each
    order's data package are written to the folder it names, and listed. It runs in an
    empty folder outside the clone, on the examples shipped with the package."""
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    out = empty / "demo-out"
    result = pnp("demo", "--json", "--out", "demo-out", timeout=180, cwd=empty)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert convention_breaches(report) == []  # the one JSON convention (docs/json.md)
    # The libraries' and the simulated modules' messages went to the log, not the story.
    assert "WARNING" not in result.stderr
    assert "simulated fault" in (out / "demo.log").read_text()
    order_ids = {o["order_id"] for o in report["orders"]}
    assert len(order_ids) == len(list((RECIPES / "orders").glob("*.yaml")))
    assert all(o["state"] == "completed" for o in report["orders"])
    assert {a["order_id"] for a in report["plan"]["assignments"]} == order_ids
    assert all(graph["nodes"] for graph in report["line_graphs"])

    story = report["story"]
    assert story["unplugged"].startswith("welding-cell-a2")
    assert story["failed"] and story["replaced"].endswith("-R")
    failed = [a for a in report["attempts"] if a["state"] == "failed"]
    assert len(failed) >= 2  # the unplugged module's operation and the failed one

    files = [Path(f) for f in report["files"]]
    assert report["out"] == "demo-out"
    files = [empty / f for f in files]
    assert all(f.is_file() and f.parent.is_relative_to(out) for f in files)
    names = {f.name for f in files}
    assert {"plan-gantt.html", "plan-gantt.png", "history-gantt.html", "history-gantt.png"} <= names
    schema = json.loads(SCHEMA_FILE.read_text())
    for order_id in order_ids:
        package = json.loads((out / "orders" / f"{order_id}.json").read_text())
        Draft202012Validator(schema).validate(package)
    # The weld ran twice: interrupted on the unplugged unit, done on its replacement.
    frame = next(o["order_id"] for o in report["orders"] if o["name"].startswith("frame"))
    package = json.loads((out / "orders" / f"{frame}.json").read_text())
    [weld] = [op for op in package["operations"] if op["step_id"] == "weld"]
    assert [a["state"] for a in weld["attempts"]] == ["failed", "complete"]
    assert [a["module"]["epoch"] for a in weld["attempts"]] == [1, 2]
    assert weld["attempts"][1]["module"]["serial"].endswith("-R")


def test_the_demo_refuses_an_output_folder_it_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = pnp("demo", "--recipes", str(RECIPES), "--out", str(blocker / "out"))
    assert result.returncode == 2
    assert "--out" in result.stderr or "cannot create" in result.stderr
    assert "Traceback" not in result.stderr
