"""`pnp module import-mtp`, run by pnp's own main in this process (no servers)."""

from __future__ import annotations

import json

import yaml

from tests.cli.pnp_process import pnp_here
from tests.mtp.peas import MANIFEST


def test_import_writes_a_descriptor_the_catalog_format_can_read(tmp_path):
    out = tmp_path / "fermenter.yaml"
    result = pnp_here(
        "module",
        "import-mtp",
        str(MANIFEST),
        "--out",
        str(out),
        "--map",
        "Ferment=bio.fermentation",
        "--seconds",
        "Ferment=43200",
        "--seconds",
        "Harvest=1800",
    )
    assert result.returncode == 0, result.stderr
    assert "bio.fermentation, mtp.harvest" in result.stdout
    document = yaml.safe_load(out.read_text())
    assert document["kind"] == "MtpModule"
    from pnp.sdk.descriptors import ModuleType

    module = ModuleType.model_validate(document["spec"]["module"])
    assert module.capability("mtp.harvest").time.per_unit_s == 1800


def test_import_json_carries_the_descriptor_and_the_warnings():
    result = pnp_here("module", "import-mtp", str(MANIFEST), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["descriptor"]["spec"]["services"][0]["service"] == "Ferment"
    assert any("no duration" in w for w in answer["warnings"])


def test_a_bad_manifest_exits_2_naming_file_line_and_element(tmp_path):
    bad = tmp_path / "bad.aml"
    bad.write_text(
        '<CAEXFile>\n<InstanceHierarchy Name="ModuleTypePackage">\n'
        '<InternalElement Name="X" RefBaseSystemUnitPath="MTPSUCLib/ModuleTypePackage"/>\n'
        "</InstanceHierarchy></CAEXFile>"
    )
    result = pnp_here("module", "import-mtp", str(bad), "--json")
    assert result.returncode == 2
    [violation] = json.loads(result.stdout)["error"]["violations"]
    assert violation["location"] == f"{bad}:3"
    assert violation["field"] == 'InternalElement "X"'
    assert "Traceback" not in result.stderr


def test_a_malformed_map_option_exits_2():
    result = pnp_here("module", "import-mtp", str(MANIFEST), "--map", "Ferment")
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr


def test_an_existing_out_file_is_kept_without_force(tmp_path):
    out = tmp_path / "kept.yaml"
    out.write_text("mine")
    result = pnp_here("module", "import-mtp", str(MANIFEST), "--out", str(out))
    assert result.returncode == 1 and out.read_text() == "mine"


def test_run_mtp_refuses_naming_options_with_a_descriptor(tmp_path):
    descriptor = tmp_path / "fermenter.yaml"
    assert pnp_here("module", "import-mtp", str(MANIFEST), "--out", str(descriptor)).returncode == 0
    result = pnp_here(
        "module", "run-mtp", str(descriptor), "--dock", "A1", "--seconds", "Ferment=10"
    )
    assert result.returncode == 2 and "edit the descriptor" in result.stderr


def test_run_mtp_refuses_an_endpoint_that_is_not_opc_ua():
    result = pnp_here(
        "module", "run-mtp", str(MANIFEST), "--dock", "A1", "--endpoint", "http://pea:80"
    )
    assert result.returncode == 2 and "not an OPC UA endpoint" in result.stderr
