"""The case that damaged the log: a second `pnp serve` on the SQLite file of a running
orchestrator. It started, saw no modules, recorded a completed weld as failed, and made
the first orchestrator's writes fail. Now it is refused before it writes anything, and
the first runs on undisturbed."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.v1 import attempt_pb2, order_pb2
from tests.cli.pnp_process import Running, pnp, serve
from tests.conftest import DEMO_LAYOUT
from tests.e2e.test_execution import CUT_ONLY

pytestmark = pytest.mark.servers

TIME_SCALE = "15"  # the cut (210 factory s) runs 14 real seconds: a second serve comes mid-cut


async def _until(condition, what: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def test_a_second_serve_on_the_same_sqlite_file_is_refused_and_damages_nothing(tmp_path):
    db = tmp_path / "pnp.db"
    options = ("--layout", str(DEMO_LAYOUT), "--time-scale", TIME_SCALE)
    server, address = serve(db, *options)
    laser = Running(
        "--orchestrator", address, "module", "run", "laser-cutter", "--dock", "A1",
        "--time-scale", TIME_SCALE,
    )  # fmt: skip
    try:
        laser.wait_for_line(r"registered on dock", timeout=60)
        recipe = tmp_path / "plate.yaml"
        recipe.write_text(CUT_ONLY)
        submitted = await asyncio.to_thread(
            pnp, "--orchestrator", address, "order", "submit", str(recipe), "--json"
        )
        assert submitted.returncode == 0, submitted.stderr
        async with OrchestratorClient(address) as client:

            async def cutting() -> bool:
                attempts = await client.list_attempts()
                return any(a.state == attempt_pb2.ATTEMPT_STATE_RUNNING for a in attempts)

            await _until(cutting, "the cut never started")

            second = await asyncio.to_thread(
                pnp, "serve", "--db", str(db), "--listen", "127.0.0.1:0", *options
            )
            assert second.returncode == 1, second.stderr
            assert f"another orchestrator leads on {db}" in second.stderr
            assert f"pid {server.process.pid}, listening on {address}" in second.stderr
            assert "--standby" in second.stderr and "Traceback" not in second.stderr

            async def completed() -> bool:
                [order] = await client.list_orders()
                return order.state == order_pb2.ORDER_STATE_COMPLETED

            await _until(completed, "the order did not complete")
            [attempt] = await client.list_attempts()
            assert attempt.state == attempt_pb2.ATTEMPT_STATE_COMPLETE
    finally:
        laser.stop()
        code, stderr = server.stop()
    assert code == 0 and "Traceback" not in stderr, stderr

    with sqlite3.connect(db) as connection:
        sequences = [s for (s,) in connection.execute("SELECT sequence FROM events ORDER BY 1")]
        kinds = [k for (k,) in connection.execute("SELECT kind FROM events")]
        replicas = connection.execute("SELECT pid, state FROM replicas").fetchall()
        [term] = connection.execute("SELECT term FROM leadership").fetchone()
    assert sequences == list(range(1, len(sequences) + 1))
    assert kinds.count("orchestrator.started") == 1
    assert "operation.failed" not in kinds
    # The refused orchestrator left no trace: one replica, one term.
    assert replicas == [(server.process.pid, "stopped")] and term == 1
