"""The two distributions the repository builds: what each wheel holds and what it pulls in.

pnp-factory-sdk (sdk/) is what a module vendor installs: pnp.sdk and the pnp.v1
contract, with none of the orchestrator's heavy dependencies. pnp-factory (the root) is
the orchestrator, the scheduler and the examples, and depends on the SDK. Both install
under the one `pnp` namespace and nothing else.
"""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.contract.tools import REPO

# What a vendor must never have to install (about 440 MB of the full environment).
HEAVY = {"ortools", "pandas", "numpy", "sqlalchemy", "plotly", "matplotlib", "networkx"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), "./sdk", "."],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    built = {path.name.split("-")[0]: path for path in out.glob("*.whl")}
    assert set(built) == {"pnp_factory", "pnp_factory_sdk"}, sorted(built)
    return built


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _requirements(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata_file = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_file))
    names = set()
    for requirement in metadata.get_all("Requires-Dist") or []:
        if "extra ==" in requirement:
            continue
        name = requirement.split(";")[0].strip()
        for stop in "<>=!~[ ":
            name = name.split(stop)[0]
        names.add(name.lower())
    return names


def test_every_wheel_installs_only_the_pnp_namespace(wheels):
    for wheel in wheels.values():
        top_level = {name.split("/")[0] for name in _names(wheel)}
        packages = {name for name in top_level if not name.endswith(".dist-info")}
        assert packages == {"pnp"}, f"{wheel.name} installs {sorted(packages)}"


def test_pnp_is_a_namespace_shared_by_both_wheels(wheels):
    for wheel in wheels.values():
        assert "pnp/__init__.py" not in _names(wheel), wheel.name


def test_the_sdk_wheel_holds_the_sdk_and_the_contract_only(wheels):
    names = _names(wheels["pnp_factory_sdk"])
    subpackages = {name.split("/")[1] for name in names if name.startswith("pnp/")}
    assert subpackages == {"sdk", "v1"}
    for shipped in (
        "pnp/sdk/catalog.yaml",
        "pnp/sdk/py.typed",
        "pnp/v1/py.typed",
        "pnp/v1/pnp-module.NodeSet2.xml",
    ):
        assert shipped in names
    assert "pnp/v1/opcua.py" in names
    assert "pnp/v1/registry_pb2_grpc.py" in names


def test_the_full_wheel_ships_the_examples_the_demo_needs(wheels):
    names = _names(wheels["pnp_factory"])
    subpackages = {name.split("/")[1] for name in names if name.startswith("pnp/")}
    assert subpackages == {"orchestrator", "scheduler", "examples", "mtp"}
    assert "pnp/examples/layouts/demo-factory.yaml" in names
    shipped_orders = {Path(n).name for n in names if n.startswith("pnp/examples/orders/")}
    in_clone = {p.name for p in (REPO / "src/pnp/examples/orders").glob("*.yaml")}
    assert shipped_orders == in_clone
    assert "pnp/orchestrator/py.typed" in names
    assert "pnp/scheduler/py.typed" in names


def test_the_full_wheel_ships_the_web_console_page(wheels):
    names = _names(wheels["pnp_factory"])
    shipped = {Path(n).name for n in names if n.startswith("pnp/orchestrator/web/static/")}
    in_clone = {p.name for p in (REPO / "src/pnp/orchestrator/web/static").iterdir()}
    assert shipped == in_clone


def test_the_sdk_requires_nothing_heavy(wheels):
    requirements = _requirements(wheels["pnp_factory_sdk"])
    assert requirements.isdisjoint(HEAVY), requirements & HEAVY


def test_the_full_package_requires_the_sdk_of_its_own_version(wheels):
    with zipfile.ZipFile(wheels["pnp_factory"]) as archive:
        metadata_file = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_file))
    version = metadata["Version"]
    assert f"pnp-factory-sdk=={version}" in (metadata.get_all("Requires-Dist") or [])


def test_the_sdk_installed_alone_imports_and_pulls_nothing_heavy(wheels, tmp_path):
    """A fresh venv, the SDK wheel and its dependencies from the index, nothing else."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheels["pnp_factory_sdk"])],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    distributions = {line.split("==")[0].lower() for line in listed.splitlines()}
    assert distributions.isdisjoint(HEAVY), distributions & HEAVY
    assert "pnp-factory" not in distributions
    imported = subprocess.run(
        [
            str(python),
            "-c",
            "from pnp.sdk import Module, SkillContext, ModuleType; import pnp.v1.opcua; "
            "import importlib.util as u; print(u.find_spec('pnp.orchestrator'))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "None"
