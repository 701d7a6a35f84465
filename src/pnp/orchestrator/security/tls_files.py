"""Which files a party presents and trusts: from a factory PKI directory or given one by one.

``pnp serve --tls-dir D`` finds ``D/ca.pem`` and ``D/orchestrators/orchestrator.pem``;
a planner's CLI finds ``D/planners/<name>.pem`` (the only one there, or the one named);
``--ca/--cert/--key`` name the files directly. Everything is checked here, at start,
so a missing or expired file is one clear message instead of a failed TLS handshake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.security.identities import Identity, Role, identity_from_uris
from pnp.orchestrator.security.pki import PkiDirectory

DEFAULT_ORCHESTRATOR_NAME = "orchestrator"


@dataclass(frozen=True)
class TlsFiles:
    """The CA to trust, and the certificate and key to present (all PEM)."""

    ca: Path
    certificate: Path
    key: Path

    def read(self) -> tuple[bytes, bytes, bytes]:
        """(ca, certificate, key) as bytes, the form gRPC credentials take."""
        return self.ca.read_bytes(), self.certificate.read_bytes(), self.key.read_bytes()


def files_in_directory(root: Path, identity: Identity) -> TlsFiles:
    pki = PkiDirectory(root)
    return TlsFiles(pki.ca_certificate, pki.certificate(identity), pki.key(identity))


def the_only_planner(root: Path) -> Identity:
    """The planner whose certificate is in ``root``, when there is exactly one."""
    folder = root / "planners"
    names = sorted(p.stem for p in folder.glob("*.pem")) if folder.is_dir() else []
    if len(names) != 1:
        found = ", ".join(names) if names else "none"
        raise BadInput(
            f"cannot tell which planner certificate to use in {folder} (found: {found})",
            [Violation("planner", "name it with --planner NAME or $PNP_PLANNER")],
        )
    return Identity(Role.PLANNER, names[0])


def checked(files: TlsFiles, *, now: datetime | None = None) -> Identity:
    """Checks the files exist, the certificate is in date and names a pnp identity."""
    for what, path in (("ca", files.ca), ("cert", files.certificate), ("key", files.key)):
        if not path.is_file():
            raise BadInput(f"{path} not found", [Violation(what, f"no file {path}")])
    try:
        certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
        x509.load_pem_x509_certificate(files.ca.read_bytes())
    except ValueError as error:
        raise BadInput(
            f"unreadable certificate: {error}",
            [Violation("cert", f"{files.certificate} or {files.ca} is not a PEM certificate")],
        ) from None
    now = now or datetime.now(UTC)
    if certificate.not_valid_after_utc < now:
        expired = f"{files.certificate} expired on {certificate.not_valid_after_utc:%Y-%m-%d}"
        raise BadInput(
            expired,
            [Violation("cert", f"{expired}; issue a new one with `pnp pki issue ... --force`")],
        )
    identity = identity_from_uris(certificate_uris(certificate))
    if identity is None:
        raise BadInput(
            f"{files.certificate} names no pnp identity",
            [Violation("cert", "expected one SAN URI urn:pnp:<role>:<name>; use `pnp pki issue`")],
        )
    return identity


def _alternative_names(certificate: x509.Certificate) -> x509.SubjectAlternativeName:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return x509.SubjectAlternativeName([])


def certificate_hosts(certificate: x509.Certificate) -> frozenset[str]:
    """The DNS names and IP addresses a certificate names (lower-case), which pin where
    its holder may serve; empty when it names none."""
    names = _alternative_names(certificate)
    dns = [name.lower().rstrip(".") for name in names.get_values_for_type(x509.DNSName)]
    ips = [str(address) for address in names.get_values_for_type(x509.IPAddress)]
    return frozenset(dns + ips)


def certificate_uris(certificate: x509.Certificate) -> list[str]:
    return _alternative_names(certificate).get_values_for_type(x509.UniformResourceIdentifier)


# Issuers of other factories' certificates this factory believes (`pnp pki trust`).
TRUSTED_ISSUERS_FOLDER = "trusted-issuers"  # next to the factory's ca.pem


def trusted_issuer_files(ca_file: Path) -> list[Path]:
    folder = ca_file.parent / TRUSTED_ISSUERS_FOLDER
    return sorted(folder.glob("*.pem")) if folder.is_dir() else []
