"""Every `pnp ... --json` follows one convention (docs/json.md): numbers as numbers, enum
values as lower-case words, times as RFC 3339 strings.

The test walks the command tree, so a new command with --json is checked too, or fails
here until it is listed: each is run for real against a small factory (or, for the
long-running ones, its first JSON line is read), and every value it prints is checked.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import re

import click
import pytest

from pnp.orchestrator.cli.app import cli
from tests.cli.factory_scenes import run_pnp
from tests.cli.pnp_process import Running, pnp, pnp_here
from tests.conftest import RECIPES, start_factory

ENUM_CONSTANT = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")  # PLAN_STATUS_EMPTY
NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")  # "85"
CAMEL_STATE = re.compile(r"^([A-Z][a-z]+){2,}$")  # AllowedToStart, NotExecuting
ENUM_KEYS = {"state", "status", "liveness", "item_state", "footprint", "verdict", "plan_status"}
TINY_FJSP = "2 2 1.5\n2 2 1 3 2 5 1 2 2\n1 1 1 4\n"


def convention_breaches(value, where: str = "$") -> list[str]:
    """Every value in a --json document that breaks the convention, with its path."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}"
            if key in ENUM_KEYS and isinstance(item, str) and item != item.lower():
                found.append(f"{path}: {item!r} is not lower-case words")
            found += convention_breaches(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += convention_breaches(item, f"{where}[{index}]")
    elif isinstance(value, str):
        if ENUM_CONSTANT.match(value):
            found.append(f"{where}: {value!r} is an enum constant, not words")
        elif NUMBER_TEXT.match(value):
            found.append(f"{where}: {value!r} is a number written as text")
        elif CAMEL_STATE.match(value) and where.rsplit(".", 1)[-1] in ENUM_KEYS:
            found.append(f"{where}: {value!r} is a state name, not words")
    return found


def json_commands() -> set[str]:
    # Every module of the CLI package, so every command registers on `cli`, whatever
    # list `main` keeps.
    import pnp.orchestrator.cli as package

    for found in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{found.name}")

    def walk(command, path):
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        runnable = not isinstance(command, click.Group) or command.invoke_without_command
        options = [p for p in command.params if isinstance(p, click.Option)]
        if runnable and any("--json" in p.opts for p in options):
            yield " ".join(path)

    return set(walk(cli, []))


# Checked by running them here, one shot each; {placeholders} come from the scene.
ONE_SHOT = {
    "modules": [],
    "module show": ["laser-cutter-a1"],
    "module drain": ["vision-inspection-a4"],
    "module catalog": [],
    "recipe validate": ["{recipe}"],
    "recipe examples": ["{tmp}/examples"],
    "order submit": ["{recipe}"],
    "orders": [],
    "order show": ["{order}"],
    "order export": ["{order}", "--out", "{tmp}/package.json"],
    "order cancel": ["{order}"],
    "plan": [],
    "plan what-if": ["--without", "paint-booth-a3"],
    "history": [],
    "status": [],
    "events": [],
    "bench fjsp": ["{tmp}/tiny.fjs", "--time-limit", "2", "--workers", "1", "--no-peer"],
    "pki init": ["--dir", "{tmp}/pki"],
    "pki issue orchestrator": ["--dir", "{tmp}/pki"],
    "pki issue module": ["laser-cutter-a1", "--dir", "{tmp}/pki"],
    "pki issue planner": ["vera", "--role", "viewer", "--dir", "{tmp}/pki"],
    "pki trust": ["{tmp}/pki/ca.pem", "--name", "partner", "--dir", "{tmp}/pki"],
    "pki revoke": ["vera", "--dir", "{tmp}/pki"],
    "module health": [],
    "module aas": ["laser-cutter-a1", "--out", "{tmp}/aas.json"],
    "module maintenance": [
        "welding-cell-a2",
        "--from",
        "2030-01-01T08:00:00Z",
        "--to",
        "2030-01-01T10:00:00Z",
    ],
    "usage": ["--from", "2020-01-01T00:00:00Z"],
    "cluster status": ["--db", "{tmp}/pnp.db"],
}
# Long-running: their first JSON line is read (below), then they are stopped.
FIRST_LINE = {"serve", "module run"}
# Commands that came with the digital twin and MTP after this test was written, whose
# documents need more of a scene (a signed package, a foreign passport, an MTP
# manifest) than the one above: not checked yet, each named so it is not forgotten.
NOT_CHECKED_YET = {
    "module passport export": "needs a factory signing key: an orchestrator under TLS",
    "order export-signed": "needs a purpose, a recipient and an expiry; then order verify",
    "order verify": "needs the file order export-signed writes",
    "module passport import": "needs a passport signed by another factory's trusted key",
    "module import-mtp": "needs an MTP manifest",
    "module run-mtp": "long-running: a PEA from an MTP manifest",
}
CHECKED_ELSEWHERE = {
    "demo": "tests/cli/test_factory_processes.py runs `pnp demo --json` and checks it",
    "module check": "the conformance kit's JSON, checked below against a standalone module",
}


def test_every_command_with_json_is_checked():
    listed = set(ONE_SHOT) | FIRST_LINE | set(CHECKED_ELSEWHERE) | set(NOT_CHECKED_YET)
    assert json_commands() == listed


@pytest.mark.timeout(300)
async def test_every_one_shot_command_prints_json_by_the_convention(tmp_path):
    (tmp_path / "tiny.fjs").write_text(TINY_FJSP)
    recipe = RECIPES / "orders" / "city-bike-frame.yaml"
    running = await start_factory(tmp_path)
    printed: dict[str, object] = {}
    try:
        for kind, dock in (
            ("laser-cutter", "A1"),
            ("welding-cell", "A2"),
            ("paint-booth", "A3"),
            ("vision-inspection", "A4"),
        ):
            await running.plug_in(kind, dock)
        submitted = await run_pnp(running.address, "order", "submit", str(recipe), "--json")
        order = json.loads(submitted.stdout)["orders"][0]["order_id"]
        await running.factory.plan(wait_for_current=True)
        fill = {"recipe": str(recipe), "tmp": str(tmp_path), "order": order}
        for command, args in ONE_SHOT.items():
            line = [*command.split(), *(a.format(**fill) for a in args), "--json"]
            # In this process (the real entry point, without a new interpreter each time),
            # off the event loop the orchestrator runs on.
            done = await asyncio.to_thread(pnp_here, "--orchestrator", running.address, *line)
            assert done.returncode == 0, f"pnp {' '.join(line)}: {done.stderr}"
            text = done.stdout
            printed[command] = (
                [json.loads(row) for row in text.splitlines()]
                if command == "events"
                else json.loads(text)
            )
    finally:
        await running.close()
    breaches = {c: b for c, document in printed.items() if (b := convention_breaches(document))}
    assert breaches == {}
    # Spot checks of what the convention means, where it used to differ.
    assert isinstance(printed["plan"]["plan"]["version"], int)
    assert isinstance(printed["status"]["plan_version"], int)
    assert printed["status"]["plan_status"] == printed["status"]["plan_status"].lower()
    assert printed["orders"]["orders"][0]["state"] in ("allowed to start", "running")
    assert isinstance(printed["events"][0]["sequence"], int)


def test_long_running_commands_announce_themselves_by_the_convention(tmp_path):
    server = Running("serve", "--listen", "127.0.0.1:0", "--db", str(tmp_path / "p.db"), "--json")
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
        announced = [
            json.loads(process.wait_for_line(r"^(\{.*\})$")[1]) for process in (server, module)
        ]
        checked = pnp(
            "module", "check", announced[1]["opcua_endpoint"], "--json", "--timeout", "10"
        )
    finally:
        server.stop()
        module.stop()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for document in (*announced, json.loads(checked.stdout)):
        assert convention_breaches(document) == []


@pytest.mark.parametrize(
    ("document", "breach"),
    [
        ({"plan": {"version": "85"}}, "number written as text"),
        ({"status": "PLAN_STATUS_EMPTY"}, "enum constant"),
        ({"orders": [{"state": "AllowedToStart"}]}, "not lower-case words"),
    ],
)
def test_the_checker_catches_what_the_convention_forbids(document, breach):
    assert any(breach in found for found in convention_breaches(document))


def test_protobuf_json_would_break_it_and_ours_does_not():
    from google.protobuf.json_format import MessageToDict

    from pnp.orchestrator.cli.output import as_dict
    from pnp.v1 import plan_pb2

    plan = plan_pb2.Plan(version=85, status=plan_pb2.PLAN_STATUS_EMPTY)
    assert convention_breaches(MessageToDict(plan, preserving_proto_field_name=True))
    assert as_dict(plan)["version"] == 85 and as_dict(plan)["status"] == "empty"
