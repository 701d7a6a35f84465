"""`pnp status`: modules, orders and events at a glance; `--watch` until Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import tempfile

import pytest

from tests.cli.factory_scenes import EXAMPLE_ORDERS, plug_floor, run_pnp, submit
from tests.cli.pnp_process import ENV, PNP
from tests.conftest import start_factory


async def until_running(running, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not any(a.state.is_active for a in running.factory.attempts()):
        assert loop.time() < deadline, "nothing started"
        await asyncio.sleep(0.05)


async def test_status_json_shows_modules_at_work_orders_with_eta_and_recent_events(tmp_path):
    running = await start_factory(tmp_path)  # time scale 1: the first cut takes minutes
    try:
        await plug_floor(running)
        order_ids = await submit(running.address, *EXAMPLE_ORDERS)
        await until_running(running)
        await asyncio.sleep(0.5)  # some progress to show
        done = await run_pnp(running.address, "status", "--json")
        human = await run_pnp(running.address, "status")
    finally:
        await running.close()

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    modules = {m["module_id"]: m for m in status["modules"]}
    assert set(modules) == {
        "laser-cutter-a1",
        "welding-cell-a2",
        "paint-booth-a3",
        "vision-inspection-a4",
    }
    busy = [m for m in modules.values() if m["operation_id"]]
    assert busy, modules
    assert all(0 < m["progress"] < 1 for m in busy)
    assert all(m["liveness"] == "alive" and m["lease_left_seconds"] > 0 for m in modules.values())
    bike, gearbox = ({o["order_id"]: o for o in status["orders"]}[i] for i in order_ids)
    assert bike["operations_total"] > 0 and bike["eta"] and bike["due"]
    assert bike["late"] == (bike["slack_seconds"] < 0)
    # No mill on this floor: the gearbox cannot be planned, so it has no ETA.
    assert gearbox["state"] == "not allowed to start" and gearbox["eta"] is None
    kinds = [e["kind"] for e in status["events"]]
    assert "order.submitted" in kinds and len(kinds) <= 8

    assert human.returncode == 0, human.stderr
    for heading in ("module(s)", "order(s)", "latest events", "progress", "ETA"):
        assert heading in human.stdout


@pytest.mark.parametrize("output", ["--json", "tables"])
async def test_status_watch_refreshes_until_ctrl_c_and_exits_cleanly(output, running_factory):
    await plug_floor(running_factory, [("laser-cutter", "A1")])
    as_json = ["--json"] if output == "--json" else []
    command = [PNP, "--orchestrator", running_factory.address, "status", "--watch"]
    with tempfile.TemporaryFile(mode="w+") as stderr, tempfile.TemporaryFile(mode="w+") as out:
        watcher = subprocess.Popen(
            [*command, "--interval", "0.2", *as_json],
            stdout=out,
            stderr=stderr,
            text=True,
            env=ENV,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while _refreshes(out, as_json) < 3:
            assert watcher.poll() is None, _read(stderr)
            assert loop.time() < deadline, _read(stderr)
            await asyncio.sleep(0.1)
        watcher.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(watcher.wait, 15)
        assert code == 0, _read(stderr)
        assert "Traceback" not in _read(stderr)
        if as_json:
            snapshots = [json.loads(line) for line in _lines(out)]
            assert snapshots[-1]["modules"][0]["module_id"] == "laser-cutter-a1"
        else:
            assert "laser-cutter-a1" in "\n".join(_lines(out))


def _refreshes(out, as_json) -> int:
    """JSON lines, or for tables the header line each refresh draws."""
    lines = _lines(out)
    return len(lines) if as_json else sum("factory time" in line for line in lines)


def _lines(file) -> list[str]:
    file.flush()
    position = file.tell()
    file.seek(0)
    lines = [line for line in file.read().splitlines() if line.strip()]
    file.seek(position)
    return lines


def _read(file) -> str:
    file.seek(0)
    return file.read()
