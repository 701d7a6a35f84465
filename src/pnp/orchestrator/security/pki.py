"""The factory PKI: one CA, and a certificate per module, planner and orchestrator.

A factory PKI directory looks like this (``pnp pki init`` and ``pnp pki issue``)::

    D/                      0700
      ca.pem                the factory CA certificate: every party trusts it
      ca.key                its private key (0600): keep it off the shop floor
      modules/<id>.pem      urn:pnp:module:<id>, for gRPC (client) and OPC UA (server)
      modules/<id>.key
      planners/<name>.pem   urn:pnp:planner:<name> and its role (urn:pnp:role:viewer,
                            planner or admin), for pnp.v1.Orchestrator and the console
      orchestrators/<name>.pem
                            urn:pnp:orchestrator:<name>, gRPC server + OPC UA client

The identity is the SAN URI (``identities``); it doubles as the OPC UA application URI.
Keys are RSA 2048 because OPC UA's Basic256Sha256 needs RSA. Files are never
overwritten unless asked (``force``), keys are created 0600 and directories 0700.
Time is injected (``now``) so tests can issue an expired certificate.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pnp.orchestrator.errors import AlreadyExists, BadInput, NotFound, Violation
from pnp.orchestrator.security.identities import NAME, Identity, PlannerRole, Role

KEY_BITS = 2048
CA_VALID_DAYS = 3650
DEFAULT_VALID_DAYS = 365
DEFAULT_HOSTS = ("localhost", "127.0.0.1")
_ROLE_FOLDERS = {
    Role.MODULE: "modules",
    Role.PLANNER: "planners",
    Role.ORCHESTRATOR: "orchestrators",
}
_EXTENDED_USAGES = {
    # A module is a gRPC client of the orchestrator and an OPC UA server to it.
    Role.MODULE: [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    Role.PLANNER: [ExtendedKeyUsageOID.CLIENT_AUTH],
    # The orchestrator is a gRPC server and an OPC UA client of every module.
    Role.ORCHESTRATOR: [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
}


@dataclass(frozen=True)
class PkiDirectory:
    """Where each file of a factory PKI lives under ``root``."""

    root: Path

    @property
    def ca_certificate(self) -> Path:
        return self.root / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    def certificate(self, identity: Identity) -> Path:
        return self.root / _ROLE_FOLDERS[identity.role] / f"{identity.name}.pem"

    def key(self, identity: Identity) -> Path:
        return self.root / _ROLE_FOLDERS[identity.role] / f"{identity.name}.key"


@dataclass(frozen=True)
class IssuedFiles:
    certificate: Path
    key: Path


def init_ca(
    root: Path,
    *,
    name: str = "pnp factory CA",
    valid_days: int = CA_VALID_DAYS,
    force: bool = False,
    now: datetime | None = None,
) -> IssuedFiles:
    """Creates the factory CA in ``root`` (made 0700); refuses to replace one unless forced."""
    pki = PkiDirectory(root)
    _refuse_overwrite([pki.ca_certificate, pki.ca_key], force)
    _check_days(valid_days)
    now = now or datetime.now(UTC)
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        _base(subject, subject, key.public_key(), now, valid_days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    _make_private_dir(root)
    _write_key(pki.ca_key, key)
    _write_certificate(pki.ca_certificate, certificate)
    return IssuedFiles(pki.ca_certificate, pki.ca_key)


def issue(
    root: Path,
    identity: Identity,
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    valid_days: int = DEFAULT_VALID_DAYS,
    force: bool = False,
    now: datetime | None = None,
    role: PlannerRole | None = None,
) -> IssuedFiles:
    """Issues ``identity`` a key and a certificate signed by the factory CA in ``root``.

    ``hosts`` (DNS names or IP addresses) go into the SAN for servers: the orchestrator's
    gRPC port and each module's OPC UA endpoint are checked against them. ``role`` is a
    planner's (viewer, planner or admin; planner when not given).
    """
    if not NAME.fullmatch(identity.name):
        raise BadInput(
            f"{identity.name!r} is not a valid {identity.role.value} name",
            [Violation("name", "use a-z, 0-9, '.', '_', '-' (at most 63 characters)")],
        )
    if role is not None and identity.role is not Role.PLANNER:
        raise BadInput(
            f"a {identity.role.value} certificate carries no role",
            [Violation("role", "roles (viewer, planner, admin) are for planner certificates")],
        )
    _check_days(valid_days)
    pki = PkiDirectory(root)
    ca_certificate, ca_key = load_ca(pki)
    certificate_path, key_path = pki.certificate(identity), pki.key(identity)
    _refuse_overwrite([certificate_path, key_path], force)
    now = now or datetime.now(UTC)
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pnp"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity.role.value),
            x509.NameAttribute(NameOID.COMMON_NAME, identity.name),
        ]
    )
    alternative_names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(identity.uri)]
    if identity.role is Role.PLANNER:
        alternative_names.append(x509.UniformResourceIdentifier((role or PlannerRole.PLANNER).uri))
    else:
        alternative_names += [_general_name(host) for host in hosts]
    certificate = (
        _base(subject, ca_certificate.subject, key.public_key(), now, valid_days)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # The four usages OPC UA application certificates must carry (Part 6, 6.2.2).
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(_EXTENDED_USAGES[identity.role]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _make_private_dir(certificate_path.parent)
    _write_key(key_path, key)
    _write_certificate(certificate_path, certificate)
    return IssuedFiles(certificate_path, key_path)


def _base(subject, issuer, public_key, now: datetime, valid_days: int) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # A few minutes back: clocks on a shop floor are rarely exactly in step.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _check_days(valid_days: int) -> None:
    if valid_days < 1:
        raise BadInput("validity too short", [Violation("days", "must be at least 1 day")])


def load_ca(pki: PkiDirectory):
    if not pki.ca_certificate.is_file() or not pki.ca_key.is_file():
        raise NotFound(
            f"no factory CA in {pki.root}; create one with `pnp pki init --dir {pki.root}`"
        )
    certificate = x509.load_pem_x509_certificate(pki.ca_certificate.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    return certificate, key


def _refuse_overwrite(paths: list[Path], force: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise AlreadyExists(f"{', '.join(existing)} exists already; pass --force to replace it")


def _make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)  # mkdir honours the umask, and an existing folder keeps its mode


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(path, pem, 0o600)


def _write_certificate(path: Path, certificate: x509.Certificate) -> None:
    write_atomically(path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def write_atomically(path: Path, content: bytes, mode: int) -> None:
    # The file is created with its final mode (never readable by others, not even for a
    # moment) and renamed into place, so a crash leaves the old file or the new one.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
