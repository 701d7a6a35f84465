"""Stopping gracefully: `pnp serve` and `pnp module run` on SIGINT or SIGTERM.

With work in flight, a stopped orchestrator:

- sends no Start after the signal (every execution id a module accepted is recorded;
  in process, a halted executor starts nothing the plan holds);
- leaves the attempts in flight in the store as they were, and names each one
  (order/operation, module, execution id), as text or as one JSON object;
- checkpoints its SQLite database: no -wal or -shm file is left beside it;
- exits 0 without a traceback, its solver processes too;

and at its next start asks the modules about what it left: the module's result is
accepted, and no execution id runs twice. A second signal while it stops forces it out
(exit 130, still without a traceback). A module stopped mid-execution says goodbye and
exits 0 as well.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from pnp.orchestrator.service.solver_processes import _serve as solver_worker
from tests.cli.pnp_process import ENV, Running, serve
from tests.conftest import DEMO_LAYOUT
from tests.execution.test_executor_on_memory_modules import (
    CUT,
    CUT_ONLY,
    plug_in,
    running_factory,
    until,
)
from tests.faults.floor import COMPLETE, ProxiedFloor, weld_order

pytestmark = [
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.xdist_group("floors"),  # a floor of processes at a time
    pytest.mark.timeout(300),
]

TIME_SCALE = "20"  # a weld (180 s set-up + 240 s per unit) takes 21 real seconds
SERVE = (
    "--layout", str(DEMO_LAYOUT), "--lease-ttl", "3",
    "--heartbeat-interval", "0.5", "--solve-time-limit", "1",
)  # fmt: skip


def leftovers(db: Path) -> list[str]:
    """SQLite's side files, which a checkpointed, closed database does not have."""
    return sorted(p.name for p in db.parent.glob(db.name + "-*"))


def recorded_execution_ids(db: Path) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT execution_id FROM attempts")}


def stop_orchestrator(floor: ProxiedFloor, signum: int) -> tuple[int, str, str]:
    """Signals `pnp serve` and waits for it to end: its exit code, the rest of its
    stdout, and its stderr."""
    assert floor.server is not None
    code, stderr = floor.server.stop(signum)
    floor.server_stderr += stderr
    stdout, floor.server = floor.server.last_stdout, None
    return code, stdout, stderr


async def test_a_stopped_orchestrator_names_what_it_left_running_and_the_next_start_settles_it(
    tmp_path,
):
    cells = [("welding-cell", "A2"), ("welding-cell", "B3")]
    async with ProxiedFloor(tmp_path, cells, time_scale=TIME_SCALE, serve_options=SERVE) as floor:
        for n in range(2):
            await floor.submit(weld_order(n), f"bracket-{n:02d}.yaml", f"weld-{n}")
        running = await floor.running_attempt()

        code, stdout, stderr = await asyncio.to_thread(stop_orchestrator, floor, signal.SIGINT)

        assert code == 0, stderr
        assert "Traceback" not in stderr
        left = [line for line in stdout.splitlines() if line.startswith("left running: ")]
        assert (
            f"left running: {running.operation_id} on {running.module_id} "
            f"as {running.execution_id} (running)"
        ) in left
        assert "left running" in stderr  # the closing line counts them
        assert leftovers(floor.db) == []
        # Nothing was started that is not recorded: what the modules accepted is known.
        accepted = {e for module in floor.modules for e in module.accepted()}
        assert accepted <= recorded_execution_ids(floor.db)

        await floor.start_orchestrator()
        await floor.all_completed(2)
        verdict = await floor.verdict()
    assert verdict.problems == []  # among them: no execution id accepted twice
    [settled] = [a for a in verdict.attempts if a.operation_id == running.operation_id]
    assert (settled.execution_id, settled.state) == (running.execution_id, COMPLETE)
    assert floor.tracebacks() == []


def test_sigterm_right_after_the_listening_line_stops_gracefully_and_says_so_in_json(tmp_path):
    db = tmp_path / "pnp.db"
    server = Running("serve", "--listen", "127.0.0.1:0", "--db", str(db), "--json")
    server.wait_for_line(r'^\{"listening"')
    code, stderr = server.stop(signal.SIGTERM)
    assert code == 0, stderr
    [stopped] = [json.loads(line) for line in server.last_stdout.splitlines() if "stopped" in line]
    assert stopped == {"stopped": True, "database": str(db), "left_running": []}
    assert "Traceback" not in stderr
    assert leftovers(db) == []


STUCK_STOP = textwrap.dedent(
    """
    import asyncio
    from pnp.orchestrator.cli.interrupts import GracefulStop

    async def main():
        stop = GracefulStop("stop forced")
        stop.install()
        print("serving", flush=True)
        await stop.requested.wait()
        print("stopping", flush=True)
        await asyncio.Event().wait()  # a stop that never ends

    asyncio.run(main())
    """
)


# A stop step that blocks the loop (a thread join, the lease given back, a checkpoint).
BLOCKED_STOP = STUCK_STOP.replace(
    "await asyncio.Event().wait()  # a stop that never ends", "__import__('time').sleep(3600)"
)


@pytest.mark.parametrize("stuck", [STUCK_STOP, BLOCKED_STOP], ids=["awaiting", "loop-blocked"])
def test_a_second_signal_while_stopping_forces_the_process_out_quietly(stuck):
    process = subprocess.Popen(
        [sys.executable, "-c", stuck],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "serving\n"
    process.send_signal(signal.SIGINT)
    assert process.stdout.readline() == "stopping\n"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "stop forced\n"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_a_module_stopped_mid_execution_exits_0_without_a_traceback(tmp_path, signum):
    cells = [("welding-cell", "A2")]
    async with ProxiedFloor(tmp_path, cells, time_scale=TIME_SCALE, serve_options=SERVE) as floor:
        await floor.submit(weld_order(0), "bracket-00.yaml", "weld-0")
        await floor.running_attempt()
        [module] = floor.modules
        assert module.process is not None
        code, module.stderr = await asyncio.to_thread(module.process.stop, signum)
        module.process = None
    assert code == 0, module.stderr
    assert f"module {module.module_id} stopped" in module.stderr
    assert floor.tracebacks() == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_status_watch_ends_quietly_on_sigint_and_sigterm(tmp_path, signum):
    server, address = serve(tmp_path / "pnp.db")
    watcher = Running("--orchestrator", address, "status", "--watch", "--json", "--interval", "0.2")
    watcher.wait_for_line(r"^\{")
    code, stderr = watcher.stop(signum)
    server.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_a_solver_worker_ignores_ctrl_c_and_sigterm_and_ends_with_its_pipe(capfd):
    """Ctrl-C reaches the whole process group: the orchestrator's solver workers leave
    the stop to it (they are killed by it, or end when their pipe closes)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    worker = context.Process(target=solver_worker, args=(theirs,))
    worker.start()
    theirs.close()
    assert ours.recv() == ("ready", None)
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGINT)
    os.kill(worker.pid, signal.SIGTERM)
    ours.close()
    worker.join(60)
    assert worker.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


async def test_a_halted_executor_sends_no_start_though_the_plan_has_work(tmp_path):
    """The first signal halts dispatch there and then: a pass after it starts nothing."""
    laser = MemoryModule("laser-a", [CUT])
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1")
        links = factory.executor.links
        await until(lambda: "laser-a" in links and links["laser-a"][0].connected.is_set())
        factory.executor.halt()
        await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")
        assert [a.module_id for a in (await factory.plans.current()).assignments] == ["laser-a"]
        await factory.executor.reconcile()
        assert laser.skills[CUT].started == []
        assert factory.executor.in_flight() == []
