"""Identity with real processes: a wrong ``--id`` or a second copy of a live module
never takes a module id over by accident; ``--replace`` does it on purpose.

`pnp serve` and `pnp module run` processes, as a technician would start them:

- a cnc-mill on dock B3 started with the live welding cell's id is refused: it exits
  non-zero naming the holder and its dock, and the welding cell keeps its session
  (same epoch, alive, its process still running);
- a second welding cell on the same dock, same kind, without ``--replace``: refused too;
- the same with ``--replace``: it takes the id over (a higher epoch), and the old
  process is fenced and exits, saying so.
No process prints a traceback.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.pnp_process import Running, pnp, serve

pytestmark = [pytest.mark.servers, pytest.mark.slow, pytest.mark.timeout(180)]

WELDER = "welding-cell-a2"


def module_run(address: str, *args: str) -> list[str]:
    return ["--orchestrator", address, "module", "run", *args]


def registered(address: str, module_id: str) -> dict:
    listed = pnp("--orchestrator", address, "modules", "--json")
    assert listed.returncode == 0, listed.stderr
    found = [
        m for m in json.loads(listed.stdout)["modules"] if m["descriptor"]["module_id"] == module_id
    ]
    assert len(found) == 1, listed.stdout
    return found[0]


def test_a_live_module_id_is_refused_to_other_units_and_replace_takes_it_over(tmp_path):
    server, address = serve(tmp_path / "pnp.db")
    welder = Running(*module_run(address, "welding-cell", "--dock", "A2"))
    replacement: Running | None = None
    try:
        welder.wait_for_line(rf"module {WELDER} \(welding-cell\) registered on dock A2, epoch 1")

        wrong_id = pnp(*module_run(address, "cnc-mill", "--dock", "B3", "--id", WELDER))
        assert wrong_id.returncode != 0
        assert f"module {WELDER} refused: {WELDER} is held by a live welding-cell on dock A2" in (
            wrong_id.stderr
        ), wrong_id.stderr
        assert "--replace" in wrong_id.stderr
        assert "Traceback" not in wrong_id.stderr

        duplicate = pnp(*module_run(address, "welding-cell", "--dock", "A2"))
        assert duplicate.returncode != 0
        assert f"{WELDER} is held by a live welding-cell on dock A2" in duplicate.stderr
        assert "Traceback" not in duplicate.stderr

        holder = registered(address, WELDER)
        assert (holder["epoch"], holder["liveness"], holder["descriptor"]["dock"]) == (
            1,
            "alive",
            "A2",
        ), holder
        assert welder.process.poll() is None  # the real welder kept its session

        replacement = Running(*module_run(address, "welding-cell", "--dock", "A2", "--replace"))
        replacement.wait_for_line(rf"module {WELDER} \(welding-cell\) registered .* epoch 2")
        welder.process.wait(timeout=30)  # fenced: the old unit leaves by itself
        old_code, old_stderr = welder.stop()
        assert old_code != 0
        assert (
            "epoch 1 is stale, the current registration has epoch 2 (welding-cell on dock A2"
            in (old_stderr)
        ), old_stderr
        assert "Traceback" not in old_stderr
        assert registered(address, WELDER)["epoch"] == 2
    finally:
        for process in (welder, replacement):
            if process is not None and process.process.returncode is None:
                process.stop()
        code, stderr = server.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr
