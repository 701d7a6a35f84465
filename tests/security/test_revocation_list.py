"""The factory's revocation list as files: ``pnp pki revoke`` writes a CRL signed by the
factory CA; the orchestrator's reader follows the file as it changes and trusts only
lists the CA signed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from cryptography import x509

from pnp.orchestrator.errors import BadInput, NotFound
from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.revocation import RevocationList, format_serial, revoke
from pnp.sdk.security import UntrustedCertificate, verify_not_revoked
from tests.cli.pnp_process import pnp_here

LASER = Identity(Role.MODULE, "laser-7")
ANNA = Identity(Role.PLANNER, "anna")
WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def root(tmp_path):
    pki.init_ca(tmp_path)
    for identity in (LASER, ANNA):
        pki.issue(tmp_path, identity)
    return tmp_path


def serial_of(root, identity: Identity) -> int:
    path = pki.PkiDirectory(root).certificate(identity)
    return x509.load_pem_x509_certificate(path.read_bytes()).serial_number


def ca_of(root) -> x509.Certificate:
    return x509.load_pem_x509_certificate((root / "ca.pem").read_bytes())


def test_revoking_by_name_writes_a_crl_signed_by_the_factory_ca(root):
    revoked = revoke(root, "laser-7", now=WHEN)

    crl = x509.load_pem_x509_crl((root / "crl.pem").read_bytes())
    assert crl.is_signature_valid(ca_of(root).public_key())
    assert crl.issuer == ca_of(root).subject
    entry = crl.get_revoked_certificate_by_serial_number(serial_of(root, LASER))
    assert entry is not None and entry.revocation_date_utc == WHEN
    assert (revoked.subject, revoked.already, revoked.crl) == (
        "module laser-7",
        False,
        root / "crl.pem",
    )


def test_revoking_again_keeps_every_earlier_entry(root):
    revoke(root, "laser-7", now=WHEN)
    revoke(root, format_serial(serial_of(root, ANNA)), now=WHEN)
    again = revoke(root, "laser-7")

    crl = x509.load_pem_x509_crl((root / "crl.pem").read_bytes())
    assert {entry.serial_number for entry in crl} == {serial_of(root, LASER), serial_of(root, ANNA)}
    assert again.already
    assert (
        crl.get_revoked_certificate_by_serial_number(serial_of(root, LASER)).revocation_date_utc
        == WHEN
    )


def test_an_unknown_name_is_not_found_and_nothing_is_written(root):
    with pytest.raises(NotFound, match="no certificate named 'nobody-here'"):
        revoke(root, "nobody-here")
    assert not (root / "crl.pem").exists()


def test_a_name_held_by_two_parties_must_be_revoked_by_serial(root):
    pki.issue(root, Identity(Role.PLANNER, "laser-7"))
    with pytest.raises(BadInput, match="revoke by serial number") as refused:
        revoke(root, "laser-7")
    assert refused.value.message == (
        "'laser-7' names several certificates (module laser-7, planner laser-7)"
    )


def test_the_reader_follows_the_file_without_a_restart(root):
    revocations = RevocationList.beside(root / "ca.pem")
    assert revocations.revoked_since(serial_of(root, LASER)) is None

    revoke(root, "laser-7", now=WHEN)
    assert revocations.revoked_since(serial_of(root, LASER)) == WHEN
    assert revocations.revoked_since(serial_of(root, ANNA)) is None

    revoke(root, "anna", now=WHEN)
    assert revocations.revoked_since(serial_of(root, ANNA)) == WHEN


def test_a_list_not_signed_by_the_factory_ca_changes_nothing(root, tmp_path_factory):
    revocations = RevocationList.beside(root / "ca.pem")
    revoke(root, "laser-7", now=WHEN)
    assert revocations.revoked_since(serial_of(root, LASER)) == WHEN

    # Someone else's CA signs a list that revokes anna and forgets laser-7.
    other = tmp_path_factory.mktemp("other-ca")
    pki.init_ca(other)
    (other / "planners").mkdir()
    (other / "planners" / "anna.pem").write_bytes(
        (pki.PkiDirectory(root).certificate(ANNA)).read_bytes()
    )
    revoke(other, "anna")
    (root / "crl.pem").write_bytes((other / "crl.pem").read_bytes())
    os.utime(root / "crl.pem", ns=(1, 1))  # surely seen as changed

    assert revocations.revoked_since(serial_of(root, LASER)) == WHEN
    assert revocations.revoked_since(serial_of(root, ANNA)) is None


def test_a_module_refuses_a_revoked_certificate_once_it_has_the_list(root):
    """The SDK's check (what a module's OPC UA server runs on the orchestrator's
    certificate at each handshake), over the same files."""
    certificate = x509.load_pem_x509_certificate(
        pki.PkiDirectory(root).certificate(LASER).read_bytes()
    )
    crl = root / "crl.pem"
    verify_not_revoked(certificate, ca_of(root), crl)  # no list: nothing revoked

    revoke(root, "laser-7", now=WHEN)
    with pytest.raises(UntrustedCertificate, match="was revoked on 2026-03-02 08:00 UTC"):
        verify_not_revoked(certificate, ca_of(root), crl)


def test_pnp_pki_revoke_says_whose_certificate_and_where_the_list_is(root):
    told = pnp_here("pki", "revoke", "laser-7", "--tls-dir", str(root))
    assert told.returncode == 0, told.stderr
    serial = format_serial(serial_of(root, LASER))
    assert told.stdout.split() == (
        f"module laser-7, serial {serial} revoked: {root / 'crl.pem'}".split()
    )

    again = pnp_here("pki", "revoke", serial, "--dir", str(root), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "serial": serial,
        "subject": None,
        "crl": str(root / "crl.pem"),
        "already_revoked": True,
    }

    unknown = pnp_here("pki", "revoke", "nobody-here", "--dir", str(root))
    assert unknown.returncode == 1
    assert "no certificate named 'nobody-here'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
