"""Locks a module's OPC UA server down: SignAndEncrypt only, the orchestrator only.

asyncua is permissive by default: it offers NoSecurity next to the secure endpoints,
accepts any client certificate, and lets a client open a session on a plain channel
even when no NoSecurity endpoint is offered. Each of these is turned off here:

1. only ``Basic256Sha256`` and ``Aes256_Sha256_RsaPss`` with SignAndEncrypt are offered;
2. at CreateSession the client certificate must chain to the factory CA, be in date,
   carry the client's application URI, and name an orchestrator
   (``urn:pnp:orchestrator:*``): another module may not drive this one's skills; and
   it must not be on the factory's revocation list (``crl.pem`` beside the CA, read
   again at every handshake);
3. at ActivateSession the certificate of the secure channel itself is checked the same
   way (``_ChannelCertificateGate``): a session on a plain channel has no certificate
   and is refused, whatever the client put (or left out) in CreateSession;
4. RegisterServer, which asyncua answers on a plain channel without a session, is
   refused: strangers could otherwise advertise servers in the module's discovery list.

``secure_client`` is the other side, for the conformance kit: SignAndEncrypt with the
given certificate, and the module's certificate must come from the factory CA.
"""

from __future__ import annotations

import logging
from pathlib import Path

from asyncua import Client, Server, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import uacrypto
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from asyncua.server.user_managers import UserManager
from cryptography import x509

from pnp.sdk.security import (
    ORCHESTRATOR_URI_PREFIX,
    ClientCredentials,
    ModuleSecurity,
    UntrustedCertificate,
    certificate_uris,
    crl_beside,
    verify_issued_by,
    verify_not_revoked,
)

log = logging.getLogger(__name__)

SECURE_POLICIES = [
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
]


async def secure_server(server: Server, security: ModuleSecurity) -> None:
    """Configures ``server`` (after ``init()``, before ``start()``) as described above."""
    ca = security.factory_ca()
    crl = crl_beside(security.ca)
    await server.load_certificate(str(security.certificate), format="pem")
    await server.load_private_key(str(security.key), format="pem")
    await server.set_application_uri(security.application_uri)
    server.set_security_policy(SECURE_POLICIES)
    # The channel authenticates the orchestrator; the session needs no user on top.
    server.set_identity_tokens([ua.AnonymousIdentityToken])
    server.iserver.user_manager = _ChannelCertificateGate(ca, crl)

    async def validate(certificate: x509.Certificate, client: ua.ApplicationDescription) -> None:
        try:
            check_orchestrator_certificate(certificate, ca, crl)
        except UntrustedCertificate as untrusted:
            log.warning("OPC UA client refused: %s", untrusted)
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted) from None
        if client.ApplicationUri not in certificate_uris(certificate):
            raise ServiceError(ua.StatusCodes.BadCertificateUriInvalid)

    server.set_certificate_validator(validate)
    server.iserver.register_server = _refuse_registration
    server.iserver.register_server2 = _refuse_registration


def _refuse_registration(*_args, **_kwargs) -> None:
    raise ServiceError(ua.StatusCodes.BadServiceUnsupported)


def check_orchestrator_certificate(
    certificate: x509.Certificate, ca: x509.Certificate, crl: Path | None = None
) -> None:
    verify_issued_by(certificate, ca)
    if crl is not None:
        verify_not_revoked(certificate, ca, crl)
    if not any(uri.startswith(ORCHESTRATOR_URI_PREFIX) for uri in certificate_uris(certificate)):
        raise UntrustedCertificate("the certificate does not name an orchestrator")


class _ChannelCertificateGate(UserManager):
    """Admits a session only over a secure channel whose certificate is the orchestrator's."""

    def __init__(self, ca: x509.Certificate, crl: Path) -> None:
        self._ca = ca
        self._crl = crl

    def get_user(self, iserver, username=None, password=None, certificate=None) -> User | None:
        if not certificate:
            log.warning("OPC UA session refused: no channel certificate (plain channel)")
            return None
        try:
            check_orchestrator_certificate(
                x509.load_der_x509_certificate(certificate), self._ca, self._crl
            )
        except (UntrustedCertificate, ValueError) as untrusted:
            log.warning("OPC UA session refused: %s", untrusted)
            return None
        return User(role=UserRole.User)


async def secure_client(client: Client, credentials: ClientCredentials) -> None:
    """Configures ``client`` (before ``connect``) for a secured module."""
    certificate = x509.load_pem_x509_certificate(credentials.certificate.read_bytes())
    ca = x509.load_pem_x509_certificate(credentials.ca.read_bytes())
    client.application_uri = next(iter(certificate_uris(certificate)), client.application_uri)

    async def validate(server_certificate: x509.Certificate, _server) -> None:
        try:
            verify_issued_by(server_certificate, ca)
        except UntrustedCertificate as untrusted:
            log.warning("OPC UA server refused: %s", untrusted)
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted) from None

    client.certificate_validator = validate
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        certificate=uacrypto.CertProperties(credentials.certificate, extension="pem"),
        private_key=uacrypto.CertProperties(credentials.key, extension="pem"),
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )
