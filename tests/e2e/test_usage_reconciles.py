"""`pnp usage` against the raw history of a real run, recomputed here from the database's
rows with plain SQL and arithmetic (not the metering code): a real orchestrator and
simulated modules make a bike frame, one laser failing every job; the bill by module
and by order must equal, to the rounding of a float, what the attempts and the PowerKw
samples say."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from tests.cli.pnp_process import pnp
from tests.conftest import RECIPES, start_factory
from tests.e2e.test_execution import until_completed

SCALE = 1000
BIKE_FRAME = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One factory run: the bills as `pnp usage --json` printed them, and the database."""
    folder = tmp_path_factory.mktemp("usage")

    async def factory_run():
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
            await until_completed(running.factory, view.record.order_id, timeout=90)
            start = (running.factory.clock.now() - timedelta(days=1)).isoformat()
            bills = {}
            for by in ("module", "order", "vendor"):
                done = await asyncio.to_thread(
                    pnp,
                    "--orchestrator",
                    running.address,
                    "usage",
                    "--from",
                    start,
                    "--by",
                    by,
                    "--json",
                )
                assert done.returncode == 0, done.stderr
                bills[by] = json.loads(done.stdout)
            return bills
        finally:
            await running.close()

    return asyncio.run(factory_run()), folder / "pnp.db"


def expected_from_rows(db, start: datetime, end: datetime):
    """Per module and per order, from the rows alone."""
    rows = sqlite3.connect(db)
    leases = defaultdict(list)
    vendor = {}
    for module_id, granted, ended, descriptor in rows.execute(
        "select module_id, granted_at, ended_at, descriptor_json from leases"
    ):
        leases[module_id].append((granted, ended))
        vendor[module_id] = json.loads(descriptor)["vendor"]
    # This run loses no module and drains none: each has one lease, open until after the
    # bill was made (the factory stopped later), so a module is never out of service or
    # held within the period, and executing whenever an attempt runs.
    for spans in leases.values():
        assert len(spans) == 1
        assert spans[0][1] is None or datetime.fromisoformat(spans[0][1]) >= end
    assert not rows.execute("select 1 from events where kind = 'module.draining'").fetchall()
    power = defaultdict(list)
    for execution_id, time, value in rows.execute(
        "select execution_id, time, value from telemetry_samples where name = 'PowerKw' "
        "order by sample_id"
    ):
        power[execution_id].append((datetime.fromisoformat(time), value))

    module = defaultdict(lambda: defaultdict(float))
    order = defaultdict(lambda: defaultdict(float))
    for module_id, spans in leases.items():
        arrived = max(start, datetime.fromisoformat(spans[0][0]))
        module[module_id]["present"] = (end - arrived).total_seconds()
    for execution_id, module_id, order_id, state, units, began, ended in rows.execute(
        "select execution_id, module_id, order_id, state, units, started_at, ended_at from attempts"
    ):
        began, ended = datetime.fromisoformat(began), datetime.fromisoformat(ended)
        seconds = (min(ended, end) - max(began, start)).total_seconds()
        kwh = 0.0
        readings = sorted(power[execution_id])
        for i, (at, kw) in enumerate(readings):
            until = readings[i + 1][0] if i + 1 < len(readings) else ended
            kwh += kw * max(0.0, (min(until, ended, end) - max(at, start)).total_seconds()) / 3600
        counted = start <= ended < end
        for figures in (module[module_id], order[order_id]):
            figures["executing_hours"] += max(0.0, seconds) / 3600
            figures["energy_kwh"] += kwh
            figures["units"] += units if counted and state == "complete" else 0
            figures["cycles"] += 1 if counted and state in ("complete", "failed") else 0
            figures["failures"] += 1 if counted and state == "failed" else 0
    for figures in module.values():
        figures["idle_hours"] = figures.pop("present") / 3600 - figures["executing_hours"]
    return module, order, vendor


FIGURES = ("executing_hours", "idle_hours", "units", "energy_kwh", "cycles", "failures")


def test_the_bill_by_module_reconciles_with_the_attempts_and_telemetry(run):
    bills, db = run
    bill = bills["module"]
    start, end = (datetime.fromisoformat(bill[k]) for k in ("from", "metered_until"))
    module, _, vendor = expected_from_rows(db, start, end)
    assert {r["key"] for r in bill["rows"]} == set(module)
    for row in bill["rows"]:
        want = module[row["key"]]
        assert row["vendor"] == vendor[row["key"]]
        assert (row["held_hours"], row["out_of_service_hours"]) == (0, 0)
        for name in FIGURES:
            assert row[name] == pytest.approx(want[name], rel=1e-9, abs=1e-9), (row["key"], name)
    failing = next(r for r in bill["rows"] if r["key"] == "laser-cutter-a1")
    assert failing["failures"] >= 1 and failing["units"] == 0
    assert sum(r["energy_kwh"] for r in bill["rows"]) > 0


def test_the_bill_by_order_reconciles_with_the_attempts_and_telemetry(run):
    bills, db = run
    bill = bills["order"]
    start, end = (datetime.fromisoformat(bill[k]) for k in ("from", "metered_until"))
    _, order, _ = expected_from_rows(db, start, end)
    [row] = bill["rows"]
    want = order[row["key"]]
    for name in ("executing_hours", "units", "energy_kwh", "cycles", "failures"):
        assert row[name] == pytest.approx(want[name], rel=1e-9, abs=1e-9), name
    assert row["units"] == 4 * 4  # four steps of four frames, each counted once


def test_the_bill_by_vendor_adds_up_its_modules(run):
    bills, _ = run
    by_vendor = defaultdict(lambda: defaultdict(float))
    for row in bills["module"]["rows"]:
        for name in FIGURES:
            by_vendor[row["vendor"]][name] += row[name]
    assert {r["key"] for r in bills["vendor"]["rows"]} == set(by_vendor)
    for row in bills["vendor"]["rows"]:
        for name in ("executing_hours", "units", "energy_kwh", "cycles", "failures"):
            assert row[name] == pytest.approx(by_vendor[row["key"]][name], rel=1e-9)
