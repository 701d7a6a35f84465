"""Small real factories for the planner-view tests: an orchestrator on port 0 with the
demo layout, simulated modules plugged in, orders submitted through the real `pnp`."""

from __future__ import annotations

import asyncio
import json

from tests.cli.pnp_process import pnp
from tests.conftest import RECIPES

LINE_FLOOR = [
    ("laser-cutter", "A1"),
    ("welding-cell", "A2"),
    ("paint-booth", "A3"),
    ("vision-inspection", "A4"),
]
EXAMPLE_ORDERS = [
    RECIPES / "orders" / "city-bike-frame.yaml",
    RECIPES / "orders" / "gearbox-housing.yaml",
]


async def run_pnp(address: str, *args: str, timeout: float = 60):
    """The real console script, off the event loop (the orchestrator runs on it)."""
    return await asyncio.to_thread(pnp, "--orchestrator", address, *args, timeout=timeout)


async def plug_floor(running, floor=LINE_FLOOR, **config) -> None:
    for kind, dock in floor:
        await running.plug_in(kind, dock, **config)


async def submit(address: str, *files) -> list[str]:
    done = await run_pnp(address, "order", "submit", *map(str, files), "--json")
    assert done.returncode == 0, done.stderr
    return [o["order_id"] for o in json.loads(done.stdout)["orders"]]


async def until_orders_done(running, order_ids, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not all(running.factory.order(o).completed_at for o in order_ids):
        assert loop.time() < deadline, [running.factory.attempts(o) for o in order_ids]
        await asyncio.sleep(0.05)
