"""The secured path as a factory sets it up: `pnp pki` makes the certificates, then
`pnp serve`, `pnp module run` and the planner's commands each use their own."""

from __future__ import annotations

import json
import os

import pytest

from tests.cli.pnp_process import Running, pnp, serve
from tests.conftest import RECIPES


@pytest.mark.slow
def test_a_factory_secured_with_pnp_pki(tmp_path):
    tls = str(tmp_path / "pki")
    for command in (
        ["pki", "init", "--dir", tls],
        ["pki", "issue", "orchestrator", "--dir", tls],
        ["pki", "issue", "module", "laser-cutter-a1", "--dir", tls],
        ["pki", "issue", "planner", "anna", "--dir", tls],
    ):
        done = pnp(*command)
        assert done.returncode == 0, done.stderr
    again = pnp("pki", "issue", "planner", "anna", "--dir", tls)
    assert again.returncode == 1 and "--force" in again.stderr

    server, address = serve(tmp_path / "pnp.db", "--tls-dir", tls)
    module = Running(
        "--orchestrator", address, "module", "run", "laser-cutter", "--dock", "A1", "--tls-dir", tls
    )
    try:
        module.wait_for_line(r"registered on dock")
        listed = pnp("--orchestrator", address, "--tls-dir", tls, "modules", "--json")
        assert listed.returncode == 0, listed.stderr
        modules = json.loads(listed.stdout)["modules"]
        assert [m["descriptor"]["module_id"] for m in modules] == ["laser-cutter-a1"]
        # The same through the environment, as a planner's shell would have it.
        by_env = pnp("--orchestrator", address, "modules", env={**os.environ, "PNP_TLS_DIR": tls})
        assert by_env.returncode == 0, by_env.stderr

        plain = pnp("--orchestrator", address, "modules")
        assert plain.returncode == 1
        as_module = pnp(
            "--orchestrator",
            address,
            "--tls-dir",
            tls,
            "--cert",
            f"{tls}/modules/laser-cutter-a1.pem",
            "--key",
            f"{tls}/modules/laser-cutter-a1.key",
            "modules",
        )
        assert as_module.returncode == 1
        assert "may not call pnp.v1.Orchestrator" in as_module.stderr
    finally:
        module.stop()
        code, stderr = server.stop()
    assert code == 0, stderr
    assert "WITHOUT TLS" not in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_the_secure_demo_runs_every_order_to_completion_from_an_empty_folder(tmp_path):
    """No --recipes and no --out: the shipped examples, and a new folder where it runs."""
    result = pnp(
        "demo",
        "--secure",
        "--no-story",  # the story is the plain demo's test; this one is about security
        "--json",
        "--time-scale",
        "20000",
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [written] = list(tmp_path.glob("pnp-demo-*"))
    assert (written / "orders").is_dir() and report["out"] == written.name
    assert report["kpis"]["orders_completed"] == len(list((RECIPES / "orders").glob("*.yaml")))
    assert len(report["modules"]) == 10
