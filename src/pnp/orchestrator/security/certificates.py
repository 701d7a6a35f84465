"""Checking a peer's certificate against the factory CA: chain, dates, identity.

(The module SDK has its own copy in ``modules.security``: vendors never install the
orchestrator, so the two sides cannot share this code.)
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

from pnp.orchestrator.security.identities import Identity, identity_from_uris
from pnp.orchestrator.security.tls_files import certificate_uris


class UntrustedCertificate(Exception):
    """Not issued by the factory CA, out of date, or naming someone else."""


def verified_identity(
    certificate: x509.Certificate, ca: x509.Certificate, now: datetime | None = None
) -> Identity:
    """The pnp identity of ``certificate``, once it is shown to chain to ``ca`` and be in date."""
    builder = (
        PolicyBuilder()
        .store(Store([ca]))
        .time(now or datetime.now(UTC))
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
    identity = identity_from_uris(certificate_uris(certificate))
    if identity is None:
        raise UntrustedCertificate("the certificate names no single pnp identity")
    return identity
