"""The factory PKI: what `pnp pki` writes, how it protects it, and what it refuses."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from pnp.orchestrator.errors import AlreadyExists, BadInput, NotFound
from pnp.orchestrator.security import pki
from pnp.orchestrator.security.certificates import UntrustedCertificate, verified_identity
from pnp.orchestrator.security.identities import Identity, Role, identity_from_uris
from pnp.orchestrator.security.tls_files import certificate_uris, checked, files_in_directory

MODULE = Identity(Role.MODULE, "laser-7")


def load(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_private_and_the_directory_closed(tmp_path):
    root = tmp_path / "pki"
    pki.init_ca(root)
    issued = pki.issue(root, MODULE)
    assert mode(root) == 0o700
    assert mode(root / "ca.key") == mode(issued.key) == 0o600
    assert mode(issued.certificate.parent) == 0o700


def test_a_module_certificate_names_the_module_and_its_hosts(tmp_path):
    pki.init_ca(tmp_path)
    issued = pki.issue(tmp_path, MODULE, hosts=["localhost", "127.0.0.1", "cell-7.lan"])
    certificate = load(issued.certificate)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert certificate_uris(certificate) == ["urn:pnp:module:laser-7"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "cell-7.lan"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert verified_identity(certificate, load(tmp_path / "ca.pem")) == MODULE


def test_a_planner_certificate_names_no_host(tmp_path):
    pki.init_ca(tmp_path)
    certificate = load(pki.issue(tmp_path, Identity(Role.PLANNER, "anna")).certificate)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == []
    assert identity_from_uris(certificate_uris(certificate)) == Identity(Role.PLANNER, "anna")


def test_nothing_is_overwritten_without_force(tmp_path):
    pki.init_ca(tmp_path)
    first = pki.issue(tmp_path, MODULE).certificate.read_bytes()
    with pytest.raises(AlreadyExists, match="--force"):
        pki.issue(tmp_path, MODULE)
    with pytest.raises(AlreadyExists):
        pki.init_ca(tmp_path)
    assert pki.issue(tmp_path, MODULE, force=True).certificate.read_bytes() != first


def test_issuing_needs_the_ca_and_a_valid_name(tmp_path):
    with pytest.raises(NotFound, match="pnp pki init"):
        pki.issue(tmp_path, MODULE)
    pki.init_ca(tmp_path)
    with pytest.raises(BadInput):
        pki.issue(tmp_path, Identity(Role.MODULE, "../../etc/passwd"))
    with pytest.raises(BadInput):
        pki.issue(tmp_path, MODULE, valid_days=0)


def test_an_expired_certificate_is_refused_by_name_at_start(tmp_path):
    pki.init_ca(tmp_path)
    pki.issue(tmp_path, MODULE, valid_days=1, now=datetime.now(UTC) - timedelta(days=3))
    with pytest.raises(BadInput, match="expired"):
        checked(files_in_directory(tmp_path, MODULE))
    with pytest.raises(UntrustedCertificate):
        verified_identity(load(tmp_path / "modules" / "laser-7.pem"), load(tmp_path / "ca.pem"))


def test_a_certificate_from_another_ca_is_untrusted(tmp_path):
    pki.init_ca(tmp_path / "ours")
    pki.init_ca(tmp_path / "theirs")
    theirs = pki.issue(tmp_path / "theirs", MODULE)
    with pytest.raises(UntrustedCertificate):
        verified_identity(load(theirs.certificate), load(tmp_path / "ours" / "ca.pem"))


def test_a_certificate_naming_two_identities_names_nobody():
    uris = ["urn:pnp:module:a", "urn:pnp:planner:a"]
    assert identity_from_uris(uris) is None
    assert identity_from_uris(["urn:pnp:module:A B"]) is None
    assert identity_from_uris(["https://example.com"]) is None
