"""A module's credentials: the factory CA it trusts, its certificate and its key (PEM files).

The factory hands each module three files, made by ``pnp pki issue module ID``::

    security = ModuleSecurity.from_directory("/etc/pnp/tls", "laser-7")
    module = Module(LASER, module_id="laser-7", dock="A1", security=security)

With them the module registers over gRPC with mutual TLS (its certificate is its
identity: it may only register, heartbeat and deregister as the module id in it), and
serves OPC UA with SignAndEncrypt (Basic256Sha256) only, to the orchestrator only.
The SDK loads the files by path and knows the directory layout of the factory PKI
(``ca.pem``, ``modules/<id>.pem``, ``modules/<id>.key``); it never creates keys.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

log = logging.getLogger(__name__)

ENV_TLS_DIR = "PNP_TLS_DIR"
MODULE_URI_PREFIX = "urn:pnp:module:"
ORCHESTRATOR_URI_PREFIX = "urn:pnp:orchestrator:"


class UntrustedCertificate(Exception):
    """A peer's certificate is not from the factory CA, out of date, or names someone else."""


@dataclass(frozen=True)
class ModuleSecurity:
    ca: Path
    certificate: Path
    key: Path

    @classmethod
    def from_directory(cls, root: str | Path, module_id: str) -> ModuleSecurity:
        root = Path(root)
        folder = root / "modules"
        security = cls(root / "ca.pem", folder / f"{module_id}.pem", folder / f"{module_id}.key")
        files = (security.ca, security.certificate, security.key)
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"module {module_id}: missing {', '.join(missing)} "
                f"(issue them with `pnp pki issue module {module_id}`)"
            )
        return security

    @classmethod
    def from_environment(cls, module_id: str) -> ModuleSecurity | None:
        """From ``$PNP_TLS_DIR`` when it is set; None (no security) otherwise."""
        root = os.environ.get(ENV_TLS_DIR)
        return cls.from_directory(root, module_id) if root else None

    @property
    def application_uri(self) -> str:
        """The OPC UA application URI: the identity URI in the certificate's SAN."""
        uris = certificate_uris(x509.load_pem_x509_certificate(self.certificate.read_bytes()))
        found = [u for u in uris if u.startswith(MODULE_URI_PREFIX)]
        if len(found) != 1:
            raise UntrustedCertificate(f"{self.certificate} names no single pnp module identity")
        return found[0]

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.read_bytes(),
            private_key=self.key.read_bytes(),
            certificate_chain=self.certificate.read_bytes(),
        )

    def factory_ca(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca.read_bytes())


@dataclass(frozen=True)
class ClientCredentials:
    """PEM files an OPC UA client presents to a secured module (the orchestrator's, since
    a secured module admits the orchestrator only): the CA it trusts, its own pair."""

    ca: Path
    certificate: Path
    key: Path


def certificate_uris(certificate: x509.Certificate) -> list[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return names.value.get_values_for_type(x509.UniformResourceIdentifier)


def verify_issued_by(
    certificate: x509.Certificate, ca: x509.Certificate, now: datetime | None = None
) -> None:
    """Raises ``UntrustedCertificate`` unless ``certificate`` chains to ``ca`` and is in date."""
    builder = (
        PolicyBuilder()
        .store(Store([ca]))
        .time(now or datetime.now(UTC))
        # The CA must be a proper CA; the leaf's own extensions are checked by the caller
        # (its identity URI), not by web PKI rules for host names.
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
    )
    try:
        builder.build_client_verifier().verify(certificate, [])
    except Exception as error:  # VerificationError, or a malformed certificate
        raise UntrustedCertificate(
            f"not issued by the factory CA or out of date: {error}"
        ) from None


CRL_FILE = "crl.pem"


def crl_beside(ca: Path) -> Path:
    """Where the factory's revocation list lives: ``crl.pem`` beside ``ca.pem``
    (``pnp pki revoke`` writes it; copy it to the module's folder to honour it)."""
    return ca.with_name(CRL_FILE)


def verify_not_revoked(certificate: x509.Certificate, ca: x509.Certificate, crl: Path) -> None:
    """Raises ``UntrustedCertificate`` if the CRL at ``crl`` lists ``certificate``.

    Read at each check (a handshake is rare; the file may have changed since). No file:
    nothing is revoked. A file that is unreadable or not signed by the factory CA is
    ignored with a warning: anyone who can write the folder could otherwise lock the
    orchestrator out with a forged list.
    """
    try:
        revocations = x509.load_pem_x509_crl(crl.read_bytes())
    except FileNotFoundError:
        return
    except (OSError, ValueError) as error:
        log.warning("revocation list %s ignored: %s", crl, error)
        return
    if revocations.issuer != ca.subject or not revocations.is_signature_valid(
        ca.public_key()  # type: ignore[arg-type]
    ):
        log.warning("revocation list %s ignored: not signed by the factory CA", crl)
        return
    entry = revocations.get_revoked_certificate_by_serial_number(certificate.serial_number)
    if entry is not None:
        raise UntrustedCertificate(
            f"certificate serial {certificate.serial_number:X} was revoked on "
            f"{entry.revocation_date_utc:%Y-%m-%d %H:%M} UTC ({crl})"
        )
