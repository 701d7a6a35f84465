"""The twin's commands as a user meets them: help everywhere, bad input named with a
non-zero exit and no traceback, and an AASX package the library's own reader opens."""

from __future__ import annotations

import json

import pytest
from basyx.aas import model
from basyx.aas.adapter import aasx

from tests.cli.factory_scenes import run_pnp
from tests.cli.pnp_process import pnp_here

COMMANDS = [
    ["usage"],
    ["module", "aas"],
    ["module", "passport", "export"],
    ["module", "passport", "import"],
    ["order", "export-signed"],
    ["order", "verify"],
    ["pki", "trust"],
    ["module", "health"],
    ["module", "maintenance"],
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_twin_command_has_help_and_json(command):
    result = pnp_here(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout and "--json" in result.stdout


EXPORT_SIGNED = ["order", "export-signed", "o1", "--out", "o.json", "--purpose", "audit"]
EXPORT_SIGNED += ["--recipient", "Bikes Ltd"]

EXPORT_SIGNED = ["order", "export-signed", "o1", "--out", "o.json", "--purpose", "audit"]
EXPORT_SIGNED += ["--recipient", "Bikes Ltd"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["usage", "--from", "2026-12-01T08:00:00"], "--from: give ISO-8601 with a zone"),
        (["usage", "--from", "yesterday"], "--from: give ISO-8601 with a zone"),
        (["module", "aas", "laser-1", "--out", "shell.xml"], "--out: name a .aasx or a .json"),
        ([*EXPORT_SIGNED, "--expires", "soon"], "--expires: give ISO-8601 with a zone"),
        (["module", "maintenance", "laser-1"], "--from/--to/--accept: one of the two ways"),
        (
            ["module", "maintenance", "laser-1", "--accept", "--from", "2026-12-01T08:00:00Z"],
            "--from/--to/--accept: one of the two ways",
        ),
        (
            ["module", "maintenance", "laser-1", "--from", "2026-12-01T08:00:00Z"],
            "--to: give both",
        ),
    ],
)
def test_bad_arguments_are_named_before_anything_is_asked(args, named):
    result = pnp_here("--orchestrator", "127.0.0.1:1", *args)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_verifying_needs_a_trusted_issuer_and_a_signed_file(tmp_path):
    not_json = tmp_path / "package.json"
    not_json.write_text("{not json")
    result = pnp_here("order", "verify", str(not_json))
    assert result.returncode == 2 and "not JSON" in result.stderr

    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"order": {}}))
    result = pnp_here("order", "verify", str(plain))
    assert result.returncode == 2 and "--trust: give the issuing factory's CA" in result.stderr

    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate")
    result = pnp_here("pki", "trust", str(ca), "--name", "a", "--dir", str(tmp_path / "pki"))
    assert result.returncode == 2 and "holds no PEM certificate" in result.stderr


async def test_the_aas_export_is_an_aasx_package_basyx_reads(running_factory, tmp_path):
    await running_factory.plug_in("laser-cutter", "A1")
    out = tmp_path / "laser.aasx"
    done = await run_pnp(
        running_factory.address, "module", "aas", "laser-cutter-a1", "--out", str(out), "--json"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["shells"] == ["urn:pnp:aas:laser-cutter-a1"]
    objects = model.DictIdentifiableStore()
    with aasx.AASXReader(out) as reader:
        read = reader.read_into(objects, aasx.DictSupplementaryFileContainer())
    assert read == {"urn:pnp:aas:laser-cutter-a1", *summary["submodels"]}
    nameplate = objects.get_item("urn:pnp:aas:laser-cutter-a1:Nameplate")
    assert nameplate.get_referable("ManufacturerName").value == "Lumen Photonics"

    as_json = tmp_path / "laser.json"
    done = await run_pnp(
        running_factory.address, "module", "aas", "laser-cutter-a1", "--out", str(as_json)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(as_json.read_text())["assetAdministrationShells"][0]["id"] == (
        "urn:pnp:aas:laser-cutter-a1"
    )
    missing = await run_pnp(running_factory.address, "module", "aas", "nope", "--out", str(out))
    assert missing.returncode == 1 and "no module 'nope'" in missing.stderr


async def test_signing_without_the_factory_key_says_how_to_get_one(running_factory, tmp_path):
    await running_factory.plug_in("laser-cutter", "A1")
    done = await run_pnp(
        running_factory.address, "module", "passport", "export", "laser-cutter-a1",
        "--out", str(tmp_path / "p.json"),
    )  # fmt: skip
    assert done.returncode == 1
    assert "no signing key: start `pnp serve` with --tls-dir" in done.stderr
    assert not (tmp_path / "p.json").exists()


async def test_a_maintenance_window_is_checked_and_a_missing_proposal_explained(
    running_factory,
):
    await running_factory.plug_in("laser-cutter", "A1")
    address = running_factory.address
    backwards = await run_pnp(
        address, "module", "maintenance", "laser-cutter-a1",
        "--from", "2026-12-01T10:00:00Z", "--to", "2026-12-01T09:00:00Z",
    )  # fmt: skip
    assert backwards.returncode == 2 and "must be later than --from" in backwards.stderr
    unknown = await run_pnp(
        address, "module", "maintenance", "no-such",
        "--from", "2026-12-01T09:00:00Z", "--to", "2026-12-01T10:00:00Z",
    )  # fmt: skip
    assert unknown.returncode == 1 and "no module 'no-such'" in unknown.stderr
    nothing = await run_pnp(address, "module", "maintenance", "laser-cutter-a1", "--accept")
    assert nothing.returncode == 1
    assert "no maintenance is proposed for laser-cutter-a1 (health unknown)" in nothing.stderr
    planned = await run_pnp(
        address, "module", "maintenance", "laser-cutter-a1", "--reason", "lens",
        "--from", "2026-12-01T09:00:00Z", "--to", "2026-12-01T10:00:00Z", "--json",
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["window"]["reason"] == "lens"
    health = await run_pnp(address, "module", "health", "--json")
    [laser] = json.loads(health.stdout)["modules"]
    assert laser["scored"] is False and [w["reason"] for w in laser["planned"]] == ["lens"]
