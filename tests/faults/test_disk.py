"""A full disk under the orchestrator's database.

1. In process (fault at the store's boundary, tests/store/full_disk.py): over real
   gRPC, SubmitOrder answers UNAVAILABLE with the reason, nothing of the order exists
   anywhere, and the same request succeeds once space returns, in the same process.
2. Real processes on a real full filesystem (a 16 MB tmpfs; needs root to mount, else
   skipped saying so): `pnp serve --db DIR/pnp.db` and two welding cells; orders run;
   a ballast file fills the disk; `pnp order submit` answers exit 1 with "the
   database's disk is full" for every order that could not be stored, and every order
   it acknowledged is in the database; the ballast is deleted; the refused orders are
   submitted again and all orders, the earlier ones included, complete, with no
   restart of anything; the event log has no gap in its sequence; and no process
   printed a traceback meanwhile (the orchestrator warns that the disk is full).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import StorageFull
from tests.cli.pnp_process import pnp
from tests.conftest import DEMO_LAYOUT
from tests.faults.floor import ProxiedFloor, weld_order
from tests.store.full_disk import FullDisk

pytestmark = [pytest.mark.servers, pytest.mark.timeout(300)]

# A comment large enough that storing the order needs space a full disk does not have.
PADDING = "# " + "x" * 150_000 + "\n"


async def test_submit_on_a_full_disk_is_unavailable_and_stores_nothing(running_factory):
    disk = FullDisk(running_factory.factory.store.engine)
    recipe = PADDING + weld_order(1)
    async with OrchestratorClient(running_factory.address, deadline=10) as client:
        disk.fill()
        with pytest.raises(StorageFull) as refused:
            await client.submit_order(recipe, "big.yaml", "full-1")
        assert refused.value.message.startswith("the database's disk is full: ")
        assert list(await client.list_orders()) == []
        disk.free()
        order = await client.submit_order(recipe, "big.yaml", "full-1")
        assert order.order_id == "ord-00001"
        assert [o.order_id for o in await client.list_orders()] == ["ord-00001"]


# -- a real full filesystem ------------------------------------------------------------

TMPFS_BYTES = 16 * 1024 * 1024
TIME_SCALE = "60"  # a weld takes about 7 real seconds
SERVE = (
    "--layout", str(DEMO_LAYOUT), "--lease-ttl", "3",
    "--heartbeat-interval", "0.5", "--solve-time-limit", "1",
)  # fmt: skip
CELLS = [("welding-cell", "A2"), ("welding-cell", "B3")]


@contextlib.contextmanager
def small_filesystem(folder: Path):
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the in-process full-disk test ran")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(ballast: Path) -> None:
    """Writes ``ballast`` until the filesystem has no byte left."""
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)


def stored_request_ids(db: Path) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return {r for (r,) in connection.execute("SELECT request_id FROM orders")}


def event_sequences(db: Path) -> list[int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return [s for (s,) in connection.execute("SELECT sequence FROM events ORDER BY sequence")]


@pytest.mark.slow
@pytest.mark.xdist_group("floors")
async def test_a_real_full_disk_refuses_orders_and_the_factory_carries_on(tmp_path):
    disk = small_filesystem(tmp_path / "disk")
    with disk as folder:
        floor = ProxiedFloor(folder, CELLS, time_scale=TIME_SCALE, serve_options=SERVE)
        for module in floor.modules:  # the modules' journals live on another disk
            module.journal = tmp_path / module.journal.name
        recipes = tmp_path / "recipes"
        recipes.mkdir()
        ballast = folder / "ballast"
        async with floor, contextlib.AsyncExitStack() as cleanup:
            cleanup.callback(ballast.unlink, missing_ok=True)  # whatever happens below
            for n in range(2):
                await floor.submit(weld_order(n), f"bracket-{n:02d}.yaml", f"weld-{n}")
            await floor.running_attempt()

            await asyncio.to_thread(fill, ballast)
            acknowledged: list[str] = []
            refused: list[tuple[str, Path]] = []
            for n in range(2, 40):
                path = recipes / f"bracket-{n:02d}.yaml"
                path.write_text(PADDING + weld_order(n))
                key = f"weld-{n}"
                result = await asyncio.to_thread(
                    pnp, "--orchestrator", floor.address, "order", "submit", str(path),
                    "--request-id", key,
                )  # fmt: skip
                if result.returncode == 0:
                    acknowledged.append(key)
                    continue
                assert result.returncode == 1, result.stderr
                assert "the database's disk is full" in result.stderr, result.stderr + (
                    floor.server.stderr() if floor.server else ""
                )
                assert "Traceback" not in result.stderr
                refused.append((key, path))
                if len(refused) >= 3:
                    break
            assert refused, "the full disk never refused an order"
            stored = await asyncio.to_thread(stored_request_ids, floor.db)
            assert set(acknowledged) <= stored  # nothing acknowledged that is not stored
            assert not {key for key, _ in refused} & stored  # nothing refused is stored

            ballast.unlink()  # space returns: nothing is restarted
            for key, path in refused:
                result = await asyncio.to_thread(
                    pnp, "--orchestrator", floor.address, "order", "submit", str(path),
                    "--request-id", key,
                )  # fmt: skip
                assert result.returncode == 0, result.stderr
            total = 2 + len(acknowledged) + len(refused)
            await floor.all_completed(total, timeout=240)
            assert floor.orchestrator_starts == 1
            verdict = await floor.verdict()
            assert verdict.ok, verdict.problems
        sequences = event_sequences(floor.db)
        assert sequences == list(range(1, len(sequences) + 1))  # no gap in the event log
    # A full disk is the operator's problem, not a bug: warnings that say so, no traces.
    assert not floor.tracebacks(), floor.first_traceback()
    assert "the database's disk is full" in floor.server_stderr
