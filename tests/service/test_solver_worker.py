"""A solver worker whose orchestrator is gone ends quietly: no traceback on the
orchestrator's stderr (the soak saw BrokenPipeError from workers orphaned by a SIGKILL
of the orchestrator while they were starting)."""

from __future__ import annotations

import multiprocessing

import pytest

from pnp.orchestrator.service.solver_processes import _serve

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
