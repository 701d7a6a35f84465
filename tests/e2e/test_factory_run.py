"""A factory run across processes: `pnp serve` and eight `pnp module run`, twenty orders
from recipe files, every one completed; the recorded history is checked independently."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.v1 import order_pb2
from tests.cli.pnp_process import Running, pnp, serve
from tests.conftest import DEMO_LAYOUT, RECIPES
from tests.e2e.history_checker import check_history

TIME_SCALE = "2000"  # factory seconds per real second, for the orchestrator and modules alike
# Thirty orders on eight modules rarely solve to optimality: a replan would use the whole
# default 5 s (on two threads) while 10,000 factory seconds pass. These tests prove that
# work is done once and recorded right, not how good the plan is: 1 s is plenty.
SOLVE = ("--solve-time-limit", "1")
FLOOR = [
    ("laser-cutter", "A1"),
    ("welding-cell", "A2"),
    ("paint-booth", "A3"),
    ("vision-inspection", "A4"),
    ("cnc-mill", "B1"),
    ("assembly-cell", "B2"),
    ("welding-cell", "B3"),
    ("multi-laser", "C2"),
]


def floor_processes(address: str, journal_dir: Path | None = None) -> list[Running]:
    """A `pnp module run` process per FLOOR entry (seeded by position); with
    ``journal_dir``, each keeps its journal there as journal-<module id>.jsonl."""
    processes = []
    for i, (kind, dock) in enumerate(FLOOR):
        args = ["--orchestrator", address, "module", "run", kind, "--dock", dock]
        args += ["--time-scale", TIME_SCALE, "--seed", str(i)]
        if journal_dir is not None:
            args += ["--journal", str(journal_path(journal_dir, kind, dock))]
        processes.append(Running(*args))
    return processes


def journal_path(folder: Path, kind: str, dock: str) -> Path:
    return folder / f"journal-{kind}-{dock}.jsonl".lower()


def order_files(folder: Path, count: int) -> list[Path]:
    """``count`` recipe files, alternating the two discrete examples, each its own order."""
    templates = [
        RECIPES / "orders" / "city-bike-frame.yaml",
        RECIPES / "orders" / "gearbox-housing.yaml",
    ]
    files = []
    for n in range(count):
        text = templates[n % 2].read_text()
        text = re.sub(r"(?m)^  name: (\S+)", rf"  name: \1-{n:02d}", text, count=1)
        path = folder / f"order-{n:02d}.yaml"
        path.write_text(text)
        files.append(path)
    return files


@pytest.mark.slow
@pytest.mark.xdist_group("floors")  # never two nine-process floors at once
async def test_twenty_orders_complete_on_eight_module_processes(tmp_path):
    server, address = serve(
        tmp_path / "pnp.db", "--layout", str(DEMO_LAYOUT), "--time-scale", TIME_SCALE, *SOLVE
    )
    modules = []
    try:
        modules = floor_processes(address)
        for module in modules:
            module.wait_for_line(r"registered on dock", timeout=60)

        files = order_files(tmp_path, 20)
        submitted = await asyncio.to_thread(
            pnp, "--orchestrator", address, "order", "submit", *map(str, files), timeout=60
        )
        assert submitted.returncode == 0, submitted.stderr

        async with OrchestratorClient(address) as client:
            deadline = asyncio.get_running_loop().time() + 240
            while True:
                orders = await client.list_orders()
                if all(o.state == order_pb2.ORDER_STATE_COMPLETED for o in orders):
                    break
                assert asyncio.get_running_loop().time() < deadline, [
                    (o.order_id, o.operations_done, o.operations_total) for o in orders
                ]
                await asyncio.sleep(0.5)
            attempts = await client.list_attempts()
            registered = await client.list_modules()

        assert len(orders) == 20
        assert check_history(orders, attempts, registered) == []
        assert {a.module_id for a in attempts} <= {m.descriptor.module_id for m in registered}
    finally:
        for module in modules:
            _, stderr = module.stop()
            assert "Traceback" not in stderr
        code, stderr = server.stop()
        assert code == 0 and "Traceback" not in stderr, stderr
