"""`pnp module run --standalone` and `pnp module check`, as a vendor would run them."""

from __future__ import annotations

import json

from tests.cli.pnp_process import Running, pnp


def test_the_kit_passes_a_standalone_simulated_module_and_reports_json():
    module = Running(
        "module",
        "run",
        "vision-inspection",
        "--dock",
        "A4",
        "--standalone",
        "--time-scale",
        "300",
        "--json",
    )
    try:
        announced = json.loads(module.wait_for_line(r"^(\{.*\"opcua_endpoint\".*\})$")[1])
        result = pnp("module", "check", announced["opcua_endpoint"], "--json", "--timeout", "10")
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert report["passed"] is True
        assert "inspection.vision: start is idempotent" in [c["name"] for c in report["checks"]]
    finally:
        _, stderr = module.stop()
    assert "Traceback" not in stderr


def test_the_kit_fails_on_an_unreachable_module_and_names_the_check():
    result = pnp("module", "check", "opc.tcp://127.0.0.1:1", "--timeout", "2")
    assert result.returncode == 1
    assert "connect" in result.stdout and "FAIL" in result.stdout


def test_an_endpoint_that_is_not_opc_ua_is_bad_input():
    result = pnp("module", "check", "http://example.com")
    assert result.returncode == 2
    assert "opc.tcp://" in result.stderr
