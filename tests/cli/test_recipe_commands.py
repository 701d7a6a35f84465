"""`pnp recipe validate` and `pnp recipe schema`, run as the real console script; the
many cases of one command (every bad recipe, every command's help) by its ``main`` in
this process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.pnp_process import pnp, pnp_here
from tests.conftest import RECIPES

BAD = Path(__file__).resolve().parents[1] / "recipes" / "bad"
EXPECTED = {
    name: entry
    for name, entry in json.loads((BAD / "expected.json").read_text()).items()
    if not name.startswith("_")
}
EXAMPLES = sorted((RECIPES / "orders").glob("*.yaml"))


def test_the_example_recipes_are_valid():
    result = pnp("recipe", "validate", *map(str, EXAMPLES))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == len(EXAMPLES)


def oversize_recipe(tmp_path: Path) -> Path:
    path = tmp_path / "oversize.yaml"
    text = EXAMPLES[0].read_text()
    path.write_text(text + "# padding\n" * ((300_000 - len(text)) // 10 + 1))
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_recipe_exits_2_with_file_and_line_and_no_traceback(name, tmp_path):
    expected = EXPECTED[name]
    path = oversize_recipe(tmp_path) if "generated" in expected else BAD / name
    result = pnp_here("recipe", "validate", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{path}:{expected['line']}:" in result.stderr
    assert expected["message"] in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_reports_every_file_and_json_for_scripts(tmp_path):
    result = pnp("recipe", "validate", str(EXAMPLES[0]), str(BAD / "after-cycle.yaml"), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert [f["valid"] for f in report["files"]] == [True, False]
    [error] = report["files"][1]["errors"]
    assert error["location"] == f"{BAD / 'after-cycle.yaml'}:{EXPECTED['after-cycle.yaml']['line']}"


def test_a_missing_file_is_bad_input_not_a_traceback(tmp_path):
    result = pnp("recipe", "validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_the_schema_is_json_schema_for_the_recipe_file():
    result = pnp("recipe", "schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert {"apiVersion", "kind", "metadata", "spec"} <= set(schema["properties"])


def test_the_examples_are_copied_out_to_edit_and_they_validate(tmp_path):
    result = pnp("recipe", "examples", str(tmp_path / "mine"), "--json")
    assert result.returncode == 0, result.stderr
    written = [Path(f) for f in json.loads(result.stdout)["files"]]
    assert (tmp_path / "mine" / "layouts" / "demo-factory.yaml") in written
    orders = sorted(p.name for p in (tmp_path / "mine" / "orders").glob("*.yaml"))
    assert orders == sorted(p.name for p in (RECIPES / "orders").glob("*.yaml"))
    assert (
        pnp("recipe", "validate", *map(str, (tmp_path / "mine" / "orders").glob("*"))).returncode
        == 0
    )


def test_the_examples_never_overwrite_a_users_edits_without_force(tmp_path):
    assert pnp("recipe", "examples", str(tmp_path)).returncode == 0
    edited = tmp_path / "orders" / "city-bike-frame.yaml"
    edited.write_text("# my edits\n")
    refused = pnp("recipe", "examples", str(tmp_path))
    assert refused.returncode == 2
    assert f"{edited}: exists; pass --force to overwrite" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert edited.read_text() == "# my edits\n"
    assert pnp("recipe", "examples", str(tmp_path), "--force").returncode == 0
    assert edited.read_text() != "# my edits\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["demo"],
        ["modules"],
        ["orders"],
        ["plan"],
        ["module", "run"],
        ["module", "show"],
        ["module", "catalog"],
        ["recipe", "validate"],
        ["recipe", "schema"],
        ["recipe", "examples"],
        ["order", "submit"],
        ["order", "show"],
        ["order", "cancel"],
        ["module", "drain"],
        ["module", "check"],
        ["events"],
        ["plan", "what-if"],
    ],
)
def test_every_command_has_help(command):
    result = pnp_here(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_an_unreachable_orchestrator_is_a_clear_error():
    result = pnp("--orchestrator", "127.0.0.1:1", "orders", timeout=30)
    assert result.returncode == 1
    assert "cannot reach the orchestrator" in result.stderr
    assert "Traceback" not in result.stderr
