"""Revoking certificates: the factory's certificate revocation list (CRL), and reading it.

``pnp pki revoke NAME|SERIAL`` adds a certificate's serial number to ``crl.pem``, an
X.509 CRL signed by the factory CA, kept next to ``ca.pem``. The CRL is the record:
each entry has the serial and when it was revoked, and revoking again re-signs the
list with every earlier entry kept.

The orchestrator reads it with ``RevocationList``, which looks at the file's mtime and
size whenever it is asked and reloads when either changed. So a revocation takes
effect on the next call the revoked party makes, without a restart: a module's
session is cut at its next heartbeat and its registrations are refused, so it is lost
within one lease; a planner's next call is refused. A CRL that is unreadable or not
signed by the factory CA is not trusted: the last good list stays in force (and the
problem is logged), since failing open would un-revoke everyone and failing closed
would stop the factory on a typo.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pnp.orchestrator.errors import BadInput, NotFound, Violation
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.pki import PkiDirectory, _load_ca, _write_atomically

log = logging.getLogger(__name__)

CRL_FILE = "crl.pem"
# How long a CRL says it stays current. The orchestrator does not refuse an old one
# (that would lock the whole factory out); other readers may.
CRL_VALID_DAYS = 365


def crl_path(ca_certificate: Path) -> Path:
    """Where the CRL of the CA in ``ca_certificate`` lives: beside it."""
    return ca_certificate.with_name(CRL_FILE)


@dataclass(frozen=True)
class Revoked:
    serial: int
    subject: str  # the identity the certificate named, or "" when revoked by serial only
    crl: Path
    already: bool  # it was on the list before


def format_serial(serial: int) -> str:
    """A serial as ``openssl x509 -serial`` prints it (upper-case hex)."""
    return f"{serial:X}"


def revoke(root: Path, what: str, *, now: datetime | None = None) -> Revoked:
    """Adds the certificate ``what`` names (an identity's name, or a serial in hex) to the
    CRL in ``root`` and signs the list again with the factory CA."""
    pki = PkiDirectory(root)
    ca_certificate, ca_key = _load_ca(pki)
    serial, subject = _find(pki, what)
    path = crl_path(pki.ca_certificate)
    entries = _read_entries(path, ca_certificate)
    now = now or datetime.now(UTC)
    already = serial in entries
    entries.setdefault(serial, now)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_certificate.subject)
        .last_update(now)
        .next_update(now + timedelta(days=CRL_VALID_DAYS))
    )
    for number, when in sorted(entries.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(number).revocation_date(when).build()
        )
    crl = builder.sign(ca_key, hashes.SHA256())
    _write_atomically(path, crl.public_bytes(serialization.Encoding.PEM), 0o644)
    return Revoked(serial, subject, path, already)


def _find(pki: PkiDirectory, what: str) -> tuple[int, str]:
    named = [
        Identity(role, what) for role in Role if pki.certificate(Identity(role, what)).is_file()
    ]
    if len(named) > 1:
        found = ", ".join(str(identity) for identity in named)
        raise BadInput(
            f"{what!r} names several certificates ({found})",
            [Violation("what", "revoke by serial number (see `openssl x509 -serial -in FILE`)")],
        )
    if named:
        certificate = x509.load_pem_x509_certificate(pki.certificate(named[0]).read_bytes())
        return certificate.serial_number, str(named[0])
    try:
        serial = int(what.replace(":", ""), 16)
    except ValueError:
        serial = 0
    if serial <= 0:
        raise NotFound(
            f"no certificate named {what!r} in {pki.root} and it is no serial number "
            "(hex, as `openssl x509 -serial` prints it)"
        )
    return serial, ""


def _read_entries(path: Path, ca: x509.Certificate) -> dict[int, datetime]:
    if not path.is_file():
        return {}
    crl = _load_crl(path, ca)
    return {entry.serial_number: entry.revocation_date_utc for entry in crl}


class UntrustedRevocationList(Exception):
    """The CRL file is unreadable, or not signed by the factory CA."""


def _load_crl(path: Path, ca: x509.Certificate) -> x509.CertificateRevocationList:
    try:
        crl = x509.load_pem_x509_crl(path.read_bytes())
    except ValueError as error:
        raise UntrustedRevocationList(f"{path} is not a PEM CRL: {error}") from None
    public_key = ca.public_key()
    if crl.issuer != ca.subject or not crl.is_signature_valid(public_key):  # type: ignore[arg-type]
        raise UntrustedRevocationList(f"{path} is not signed by the factory CA")
    return crl


class RevocationList:
    """The serials revoked in the CRL at ``path`` (signed by ``ca``), kept current: each
    question first looks whether the file changed (one stat) and reloads it if so."""

    def __init__(self, path: Path, ca: x509.Certificate) -> None:
        self.path = path
        self._ca = ca
        self._seen: tuple[int, int] | None = None
        self._revoked: dict[int, datetime] = {}

    @classmethod
    def beside(cls, ca_certificate: Path) -> RevocationList:
        ca = x509.load_pem_x509_certificate(ca_certificate.read_bytes())
        return cls(crl_path(ca_certificate), ca)

    def revoked_since(self, serial: int) -> datetime | None:
        """When the certificate with ``serial`` was revoked; None if it is not."""
        self._refresh()
        return self._revoked.get(serial)

    def _refresh(self) -> None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            # Never there, or removed: a revocation is not undone by deleting the list.
            return
        seen = (status.st_mtime_ns, status.st_size)
        if seen == self._seen:
            return
        try:
            crl = _load_crl(self.path, self._ca)
        except (OSError, UntrustedRevocationList) as error:
            log.error("revocation list not reloaded, the last good one stays: %s", error)
            return
        self._seen = seen
        self._revoked = {entry.serial_number: entry.revocation_date_utc for entry in crl}
        log.info("revocation list %s: %d certificate(s) revoked", self.path, len(self._revoked))
