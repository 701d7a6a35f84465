"""A module's life across two factories with separate CAs, in real processes, through the
real `pnp`: it works at A, A signs its passport and an order's data, it moves to B, and
B shows its A history in its Asset Administration Shell (epochs fresh, history kept).
A tampered passport, or one from an issuer B does not trust, is refused with the reason.
"""

from __future__ import annotations

import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from basyx.aas import model
from basyx.aas.adapter import aasx

from tests.cli.pnp_process import Running, pnp, serve

MODULE = "laser-cutter-a1"
ORDER = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: brackets}
spec:
  product: bracket
  quantity: 3
  steps:
    - id: cut
      capability: cutting.laser
      parameters: {material: steel-s235, thickness_mm: 3}
"""


def make_pki(root: Path, name: str) -> str:
    for command in (
        ["pki", "init", "--dir", str(root), "--name", name],
        ["pki", "issue", "orchestrator", "--dir", str(root)],
        ["pki", "issue", "module", MODULE, "--dir", str(root)],
        ["pki", "issue", "planner", "anna", "--dir", str(root)],
    ):
        done = pnp(*command)
        assert done.returncode == 0, done.stderr
    return str(root)


def planner(address: str, tls: str, *args: str):
    return pnp("--orchestrator", address, "--tls-dir", tls, *args)


def until_completed(address: str, tls: str, order_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = planner(address, tls, "order", "show", order_id, "--json")
        assert shown.returncode == 0, shown.stderr
        if json.loads(shown.stdout)["order"]["state"] == "completed":
            return
        time.sleep(0.5)
    raise AssertionError(f"order {order_id} not completed in {timeout} s")


def run_module(address: str, tls: str) -> Running:
    module = Running(
        "--orchestrator", address, "module", "run", "laser-cutter", "--dock", "A1",
        "--tls-dir", tls, "--time-scale", "60",
    )  # fmt: skip
    try:
        module.wait_for_line(r"registered on dock")
    except BaseException:
        module.kill()
        module.process.wait()
        raise
    return module


def operational_data(aasx_file: Path) -> model.Submodel:
    objects = model.DictIdentifiableStore()
    with aasx.AASXReader(aasx_file) as reader:
        reader.read_into(objects, aasx.DictSupplementaryFileContainer())
    return objects.get_item(f"urn:pnp:aas:{MODULE}:OperationalData")


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_module_moves_from_factory_a_to_b_with_its_history(tmp_path):
    tls_a = make_pki(tmp_path / "pki-a", "Factory A CA")
    tls_b = make_pki(tmp_path / "pki-b", "Factory B CA")
    started = datetime.now(UTC) - timedelta(seconds=1)

    # -- at A: the module works, A signs its passport and an order's data -------------
    server_a, address_a = serve(tmp_path / "a.db", "--tls-dir", tls_a, "--time-scale", "60")
    module = None  # a module that never registers must not leave the server running
    try:
        module = run_module(address_a, tls_a)
        recipe = tmp_path / "brackets.yaml"
        recipe.write_text(ORDER)
        submitted = planner(address_a, tls_a, "order", "submit", str(recipe), "--json")
        assert submitted.returncode == 0, submitted.stderr
        [order_id] = [o["order_id"] for o in json.loads(submitted.stdout)["orders"]]
        until_completed(address_a, tls_a, order_id)

        bill = planner(
            address_a, tls_a, "usage", "--from", started.isoformat(), "--by", "order", "--json"
        )
        assert bill.returncode == 0, bill.stderr
        [row] = json.loads(bill.stdout)["rows"]
        assert (row["key"], row["units"], row["cycles"]) == (order_id, 3, 1)
        assert row["executing_hours"] > 0

        passport = tmp_path / "passport.json"
        exported = planner(
            address_a, tls_a, "module", "passport", "export", MODULE, "--out", str(passport)
        )
        assert exported.returncode == 0, exported.stderr

        signed = tmp_path / "order.signed.json"
        expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        done = planner(
            address_a, tls_a, "order", "export-signed", order_id, "--out", str(signed),
            "--purpose", "quality audit", "--recipient", "Bikes Ltd", "--expires", expires,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        if module is not None:
            module.stop()
        server_a.stop()

    # The signed order data: intact at the recipient, refused once changed or misaddressed.
    checked = pnp("order", "verify", str(signed), "--trust", f"{tls_a}/ca.pem", "--json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["terms"]["recipient"] == "Bikes Ltd"
    misaddressed = pnp(
        "order", "verify", str(signed), "--trust", f"{tls_a}/ca.pem", "--recipient", "Rival"
    )
    assert misaddressed.returncode == 1
    assert "addressed to 'Bikes Ltd', not 'Rival'" in misaddressed.stderr
    document = json.loads(signed.read_text())
    document["content"]["package"]["order"]["quantity"] = 30
    tampered = tmp_path / "order.tampered.json"
    tampered.write_text(json.dumps(document))
    refused = pnp("order", "verify", str(tampered), "--trust", f"{tls_a}/ca.pem")
    assert refused.returncode == 2
    assert "content.package.order.quantity: changed since signing" in refused.stderr

    # -- at B: the passport is refused until B trusts A, and when tampered --------------
    server_b, address_b = serve(tmp_path / "b.db", "--tls-dir", tls_b)
    try:
        untrusted = planner(address_b, tls_b, "module", "passport", "import", str(passport))
        assert untrusted.returncode == 1
        assert "CN=Factory A CA, which is not a trusted issuer here" in untrusted.stderr

        assert (
            pnp("pki", "trust", f"{tls_a}/ca.pem", "--name", "factory-a", "--dir", tls_b).returncode
            == 0
        )
        forged = json.loads(passport.read_text())
        forged["content"]["history"][-1]["units"] = 0
        forged_file = tmp_path / "forged.json"
        forged_file.write_text(json.dumps(forged))
        refused = planner(address_b, tls_b, "module", "passport", "import", str(forged_file))
        assert refused.returncode == 2
        assert "content.history[0].units: changed since signing" in refused.stderr

        imported = planner(
            address_b, tls_b, "module", "passport", "import", str(passport), "--json"
        )
        assert imported.returncode == 0, imported.stderr
        assert json.loads(imported.stdout)["issuer"] == "CN=Factory A CA"
        shown = planner(address_b, tls_b, "events", "--json")
        assert shown.returncode == 0, shown.stderr
        [audited] = [
            e
            for e in map(json.loads, shown.stdout.splitlines())
            if e["kind"] == "module.passport_imported"
        ]
        assert (audited["subject"], audited["actor"]) == (MODULE, "planner anna (planner)")

        module = run_module(address_b, tls_b)
        try:
            shell = tmp_path / "at-b.aasx"
            done = planner(address_b, tls_b, "module", "aas", MODULE, "--out", str(shell))
            assert done.returncode == 0, done.stderr
            assert zipfile.is_zipfile(shell)
            data = operational_data(shell)
        finally:
            module.stop()
    finally:
        server_b.stop()

    assert data.get_referable("Epoch").value == 1  # B's epochs start fresh
    [site] = data.get_referable("PreviousSites").value
    assert site.get_referable("Factory").value == (
        "urn:pnp:orchestrator:orchestrator (CN=Factory A CA)"
    )
    assert site.get_referable("UnitsProcessed").value == 3
    assert site.get_referable("Cycles").value == 1
    assert site.get_referable("ExecutingHours").value > 0
    assert data.get_referable("UnitsProcessed").value == 0  # nothing made at B yet
