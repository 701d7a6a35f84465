"""`--orchestrator` and `$PNP_ORCHESTRATOR`: one address or a list of replicas, each
checked before anything is dialled; a bad one exits 2 naming it and where it came from."""

from __future__ import annotations

import json

import pytest

from pnp.orchestrator.cli.client import ENV_ORCHESTRATOR, orchestrator_address
from pnp.orchestrator.errors import BadInput
from tests.cli.pnp_process import pnp_here


def test_a_bad_port_exits_2_naming_the_option_and_the_port():
    result = pnp_here("--orchestrator", "localhost:99999", "orders")
    assert result.returncode == 2, result.stderr
    assert "--orchestrator" in result.stderr
    assert "the port 99999 is not within 1..65535" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_entry_in_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(ENV_ORCHESTRATOR, "10.0.0.1:50051,10.0.0.2:http")
    result = pnp_here("orders", "--json")
    assert result.returncode == 2, result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "BadInput"
    assert error["violations"][0]["field"] == f"${ENV_ORCHESTRATOR}"
    assert "'10.0.0.2:http': the port 'http' is not a number" in error["message"]


def test_no_port_means_the_default_one_and_lists_are_written_out_in_full(monkeypatch):
    monkeypatch.delenv(ENV_ORCHESTRATOR, raising=False)
    assert orchestrator_address("127.0.0.1") == "127.0.0.1:50051"
    assert orchestrator_address(" a:7000 , b ") == "a:7000,b:50051"
    assert orchestrator_address(None) == "127.0.0.1:50051"
    monkeypatch.setenv(ENV_ORCHESTRATOR, "c")
    assert orchestrator_address(None) == "c:50051"
    assert orchestrator_address("d:1") == "d:1"  # the option wins over the environment


def test_an_empty_entry_is_bad_input():
    with pytest.raises(BadInput, match="an empty address"):
        orchestrator_address("a:1,,b:2")
