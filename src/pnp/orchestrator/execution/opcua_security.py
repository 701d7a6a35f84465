"""The orchestrator's side of OPC UA security: its own certificate, and whom it trusts.

Given the orchestrator's TLS files (the same ``TlsFiles`` its gRPC server uses), every
``ModuleLink`` connects with SignAndEncrypt (Basic256Sha256), presents the
orchestrator's certificate (whose SAN URI is its application URI), and accepts the
module's server certificate only if it chains to the factory CA and names exactly the
module the link is for: a module cannot pass another module's endpoint off as its own.
A module certificate on the factory's revocation list (``crl.pem`` beside the CA,
``security.revocation``) is refused too.
"""

from __future__ import annotations

import logging

from asyncua import Client, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import uacrypto
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography import x509

from pnp.orchestrator.security.certificates import UntrustedCertificate, verified_identity
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.revocation import RevocationList, format_serial
from pnp.orchestrator.security.tls_files import TlsFiles, certificate_uris

log = logging.getLogger(__name__)


async def secure_client(client: Client, security: TlsFiles, module_id: str) -> None:
    """Configures ``client`` (before ``connect``) to talk to module ``module_id`` securely."""
    certificate = x509.load_pem_x509_certificate(security.certificate.read_bytes())
    ca = x509.load_pem_x509_certificate(security.ca.read_bytes())
    client.application_uri = next(
        (u for u in certificate_uris(certificate) if u.startswith("urn:pnp:orchestrator:")),
        client.application_uri,
    )
    expected = Identity(Role.MODULE, module_id)
    revocations = RevocationList.beside(security.ca)

    async def validate(server_certificate: x509.Certificate, _server) -> None:
        try:
            identity = verified_identity(server_certificate, ca)
        except UntrustedCertificate as untrusted:
            log.warning("%s: OPC UA server refused: %s", module_id, untrusted)
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted) from None
        if revocations.revoked_since(server_certificate.serial_number) is not None:
            serial = format_serial(server_certificate.serial_number)
            log.warning("%s: OPC UA server refused: certificate %s is revoked", module_id, serial)
            raise ServiceError(ua.StatusCodes.BadCertificateRevoked)
        if identity != expected:
            log.warning("%s: OPC UA server is %s, not this module", module_id, identity)
            raise ServiceError(ua.StatusCodes.BadCertificateUriInvalid)

    client.certificate_validator = validate
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        certificate=uacrypto.CertProperties(security.certificate, extension="pem"),
        private_key=uacrypto.CertProperties(security.key, extension="pem"),
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )
