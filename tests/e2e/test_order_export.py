"""`pnp order export`: a completed order's data package, checked independently.

A real orchestrator and real simulated modules make a four-step bike frame order; one
laser always fails, so the package must show the interrupted attempt too. The package
is written by the real `pnp` command and checked by tests/e2e/package_checker.py
against the published JSON Schema and the history as the wire contract reports it.
"""

from __future__ import annotations

import asyncio
import copy
import json

import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.domain.order_package import package_schema
from tests.cli.pnp_process import pnp
from tests.conftest import RECIPES, start_factory
from tests.e2e.package_checker import SCHEMA_FILE, check_package
from tests.e2e.test_execution import until_completed

SCALE = 1000
BIKE_FRAME = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One factory run for the whole file: the package as written, and the wire records."""
    folder = tmp_path_factory.mktemp("export")

    async def run():
        running = await start_factory(folder, time_scale=SCALE)
        try:
            await running.plug_in("laser-cutter", "A1", time_scale=SCALE, failure_rate=1.0)
            for kind, dock in [
                ("multi-laser", "C2"),
                ("welding-cell", "A2"),
                ("paint-booth", "A3"),
                ("vision-inspection", "A4"),
            ]:
                await running.plug_in(kind, dock, time_scale=SCALE)
            view = await running.factory.submit_order(BIKE_FRAME, "city-bike-frame.yaml", "r1")
            order_id = view.record.order_id
            await until_completed(running.factory, order_id, timeout=90)
            out = folder / "package.json"
            result = await asyncio.to_thread(
                pnp,
                "--orchestrator",
                running.address,
                "order",
                "export",
                order_id,
                "--out",
                str(out),
            )
            assert result.returncode == 0, result.stderr
            missing = await asyncio.to_thread(
                pnp, "--orchestrator", running.address, "order", "export", "ord-99999",
                "--out", str(folder / "nothing.json"),
            )  # fmt: skip
            async with OrchestratorClient(running.address) as client:
                order = (await client.get_order(order_id)).order
                attempts = await client.list_attempts()
                modules = await client.list_modules()
            return json.loads(out.read_text()), order, attempts, modules, result, missing, folder
        finally:
            await running.close()

    return asyncio.run(run())


def test_the_package_passes_the_independent_check(exported):
    package, order, attempts, modules, *_ = exported
    assert check_package(package, order, attempts, modules) == []


def test_the_package_has_every_operation_with_its_attempts_module_identity_and_telemetry(
    exported,
):
    package, *_ = exported
    assert package["format"] == "pnp.order-package/v1"
    assert package["order"]["recipe_yaml"] == BIKE_FRAME
    assert len(package["operations"]) == 4  # four steps, one lot of four frames
    assert all(op["units"] == 4 for op in package["operations"])
    complete = [
        a for op in package["operations"] for a in op["attempts"] if a["state"] == "complete"
    ]
    assert len(complete) == len(package["operations"])
    for attempt in complete:
        assert attempt["module"]["serial"].startswith("SIM-")
        assert attempt["module"]["vendor"] and attempt["module"]["model"]
        assert attempt["results"]["units"] >= 1
        power = attempt["telemetry"]["PowerKw"]
        assert power["samples"] >= 1 and power["minimum"] <= power["mean"] <= power["maximum"]
    # The laser that always fails shows up as interrupted attempts, before the re-runs.
    failed = [a for op in package["operations"] for a in op["attempts"] if a["state"] == "failed"]
    assert failed and all(a["module"]["module_id"] == "laser-cutter-a1" for a in failed)
    assert all("aborted" in a["error"] for a in failed)
    assert {n["module_id"] for n in package["line_graph"]["nodes"]} >= {"welding-cell-a2"}


def test_the_checker_notices_a_package_that_does_not_match_the_history(exported):
    package, order, attempts, modules, *_ = exported

    def problems_after(change) -> list[str]:
        tampered = copy.deepcopy(package)
        change(tampered)
        return check_package(tampered, order, attempts, modules)

    assert any("missing" in p for p in problems_after(lambda p: p["operations"].pop()))
    assert any(
        "ends before it starts" in p
        for p in problems_after(
            lambda p: p["operations"][0]["attempts"][-1].update(ended_at="2000-01-01T00:00:00Z")
        )
    )
    assert any("schema" in p for p in problems_after(lambda p: p["order"].update(quantity="four")))
    assert any(
        "cannot do it" in p
        for p in problems_after(
            lambda p: p["operations"][0]["attempts"][-1]["parameters"].update(thickness_mm=999)
        )
    )


def test_exporting_an_unknown_order_fails_clearly_and_writes_nothing(exported):
    *_, missing, folder = exported
    assert missing.returncode != 0
    assert "ord-99999" in missing.stderr and "Traceback" not in missing.stderr
    assert not (folder / "nothing.json").exists()
    assert not list(folder.glob(".nothing.json.*"))


def test_the_published_schema_file_is_the_one_the_code_generates():
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == package_schema(), "regenerate: pnp order package-schema > " + str(
        SCHEMA_FILE.relative_to(SCHEMA_FILE.parents[2])
    )
