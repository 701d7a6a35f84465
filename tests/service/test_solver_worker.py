"""A solver worker whose orchestrator is gone ends quietly: no traceback on the
orchestrator's stderr (the soak saw BrokenPipeError from workers orphaned by a SIGKILL
of the orchestrator while they were starting)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pnp.orchestrator.service.solver_processes import _die_with_parent, _serve

pytestmark = pytest.mark.servers  # starts a process


def test_a_worker_whose_orchestrator_died_before_it_was_ready_exits_quietly(capfd):
    context = multiprocessing.get_context("spawn")
    orchestrator_end, worker_end = context.Pipe()
    orchestrator_end.close()  # killed before the worker could say it is ready
    worker = context.Process(target=_serve, args=(worker_end,))
    worker.start()
    worker_end.close()
    worker.join(60)
    assert worker.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


def busy_worker() -> None:
    """A worker mid-solve, as far as its parent's death goes: deaf to SIGINT and SIGTERM
    and not reading its pipe."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _die_with_parent()
    print("solving", flush=True)
    time.sleep(3600)


ORCHESTRATOR = """
import multiprocessing, sys
from tests.service.test_solver_worker import busy_worker
worker = multiprocessing.get_context("spawn").Process(target=busy_worker, daemon=True)
worker.start()
print(worker.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_busy_worker_ends_with_its_orchestrator_however_it_ends():
    """SIGKILL (or ``os._exit`` on a forced stop) skips multiprocessing's clean-up: the
    kernel ends the worker instead of letting its solve run out its time limit."""
    with subprocess.Popen(
        [sys.executable, "-c", ORCHESTRATOR],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    ) as orchestrator:
        assert orchestrator.stdout is not None
        worker_pid = int(orchestrator.stdout.readline())
        assert orchestrator.stdout.readline() == "solving\n"

        orchestrator.kill()
        orchestrator.wait()
        try:
            # The worker shares the orchestrator's stdout: it ends when the worker does.
            assert orchestrator.stdout.read() == ""
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker_pid, signal.SIGKILL)
