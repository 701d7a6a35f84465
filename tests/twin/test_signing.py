"""Signed factory documents: intact ones verify; any change is refused naming the part
that changed; a signer whose CA is not trusted, or who is not a factory, is refused."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from pnp.orchestrator.errors import BadInput, PermissionDenied
from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.twin import signing
from pnp.orchestrator.twin.order_terms import (
    ORDER_PACKAGE_KIND,
    UsageTerms,
    check_terms,
    signed_content,
    terms_of,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PACKAGE = {
    "order": {"order_id": "o1", "quantity": 4, "product": "city-bike-frame"},
    "operations": [
        {"operation_id": "o1-cut-1", "attempts": [{"module": "laser-a", "units": 2}]},
        {"operation_id": "o1-weld-1", "attempts": [{"module": "welder", "units": 2}]},
    ],
}
TERMS = UsageTerms(purpose="quality audit", recipient="Bikes Ltd", expires_at=NOW + timedelta(30))


@pytest.fixture(scope="module")
def factories(tmp_path_factory):
    """Two factories with their own CAs, and a planner of the first."""
    made = {}
    for name in ("a", "b"):
        root = tmp_path_factory.mktemp(f"pki-{name}")
        pki.init_ca(root, name=f"Factory {name.upper()} CA", now=NOW - timedelta(1))
        files = pki.issue(root, Identity(Role.ORCHESTRATOR, "orchestrator"), now=NOW - timedelta(1))
        made[name] = (root, signing.Signer(files.certificate.read_bytes(), files.key.read_bytes()))
    planner = pki.issue(made["a"][0], Identity(Role.PLANNER, "anna"), now=NOW - timedelta(1))
    made["planner"] = (
        made["a"][0],
        signing.Signer(planner.certificate.read_bytes(), planner.key.read_bytes()),
    )
    return made


def trusted(*roots):
    return signing.load_trusted([(root / "ca.pem").read_bytes() for root in roots])


def signed_package(signer):
    document = signing.sign(ORDER_PACKAGE_KIND, signed_content(PACKAGE, TERMS), signer, NOW)
    return json.loads(json.dumps(document))  # as read back from the file


def test_an_intact_package_verifies_with_its_terms(factories):
    root, signer = factories["a"]
    verified = signing.verify(signed_package(signer), ORDER_PACKAGE_KIND, trusted(root), NOW)
    assert verified.signer == "urn:pnp:orchestrator:orchestrator"
    assert verified.issuer == "CN=Factory A CA"
    assert verified.content["package"] == PACKAGE
    assert terms_of(verified) == TERMS


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda c: c["package"]["order"].update(quantity=40), "package.order.quantity changed"),
        (
            lambda c: c["package"]["operations"][1]["attempts"][0].update(units=3),
            "package.operations[1].attempts changed",
        ),
        (lambda c: c["terms"].update(recipient="Someone Else"), "terms.recipient changed"),
        (
            lambda c: c["terms"].update(expires_at="2099-01-01T00:00:00Z"),
            "terms.expires_at changed",
        ),
        (lambda c: c["package"]["operations"].pop(), "package.operations[1].attempts removed"),
        (lambda c: c["package"].update(extra=1), "package.extra added"),
    ],
)
def test_a_tampered_package_fails_naming_what_changed(factories, change, named):
    root, signer = factories["a"]
    document = signed_package(signer)
    change(document["content"])
    with pytest.raises(BadInput) as refused:
        signing.verify(document, ORDER_PACKAGE_KIND, trusted(root), NOW)
    assert "altered after signing" in refused.value.message
    assert named in refused.value.message


def test_a_changed_manifest_breaks_the_signature(factories):
    root, signer = factories["a"]
    document = signed_package(signer)
    header, payload, signature = document["signature"].split(".")
    manifest = json.loads(signing._unb64(payload))
    manifest["digests"]["package.order.quantity"] = "0" * 64
    document["signature"] = f"{header}.{signing._b64(json.dumps(manifest).encode())}.{signature}"
    with pytest.raises(BadInput) as refused:
        signing.verify(document, ORDER_PACKAGE_KIND, trusted(root), NOW)
    assert "the signature does not match" in refused.value.message


def test_a_package_from_an_untrusted_factory_is_refused_naming_its_issuer(factories):
    _, signer_a = factories["a"]
    root_b, _ = factories["b"]
    with pytest.raises(PermissionDenied) as refused:
        signing.verify(signed_package(signer_a), ORDER_PACKAGE_KIND, trusted(root_b), NOW)
    assert "issued by CN=Factory A CA, which is not a trusted issuer here" in refused.value.message
    assert "trusted: CN=Factory B CA" in refused.value.message


def test_trusting_the_other_factory_accepts_its_packages(factories):
    root_a, signer_a = factories["a"]
    root_b, _ = factories["b"]
    verified = signing.verify(
        signed_package(signer_a), ORDER_PACKAGE_KIND, trusted(root_b, root_a), NOW
    )
    assert verified.issuer == "CN=Factory A CA"


def test_only_a_factorys_orchestrator_signs_factory_data(factories):
    root, planner = factories["planner"]
    with pytest.raises(PermissionDenied, match="not a factory's orchestrator"):
        signing.verify(signed_package(planner), ORDER_PACKAGE_KIND, trusted(root), NOW)


def test_a_passport_is_not_accepted_as_an_order_package(factories):
    root, signer = factories["a"]
    passport = signing.sign("module-passport", {"identity": {}}, signer, NOW)
    with pytest.raises(BadInput) as refused:
        signing.verify(passport, ORDER_PACKAGE_KIND, trusted(root), NOW)
    assert refused.value.message == "this is a signed 'module-passport', not a 'order-package'"


def test_the_terms_refuse_expired_data_and_other_recipients_and_purposes():
    check_terms(TERMS, NOW, recipient="Bikes Ltd", purpose="quality audit")
    with pytest.raises(PermissionDenied, match="expired"):
        check_terms(TERMS, TERMS.expires_at)
    with pytest.raises(PermissionDenied, match="addressed to 'Bikes Ltd', not 'Rival'"):
        check_terms(TERMS, NOW, recipient="Rival")
    with pytest.raises(PermissionDenied, match="not 'marketing'"):
        check_terms(TERMS, NOW, purpose="marketing")


def test_not_a_signed_document_is_bad_input(factories):
    root, signer = factories["a"]
    with pytest.raises(BadInput) as refused:
        signing.verify({"order": 1}, ORDER_PACKAGE_KIND, trusted(root), NOW)
    assert "not a signed pnp document" in refused.value.message
    document = copy.deepcopy(signed_package(signer))
    document["signature"] = "not-a-jws"
    with pytest.raises(BadInput) as refused:
        signing.verify(document, ORDER_PACKAGE_KIND, trusted(root), NOW)
    assert "JWS compact" in refused.value.message
