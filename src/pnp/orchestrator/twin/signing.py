"""Documents signed by a factory, checked against the issuers another party trusts.

A signed document is a JSON file anyone can read::

    {"format": "pnp.signed/v1", "kind": "order-package",
     "content": {...the document itself, plain JSON...},
     "signature": "<JWS compact serialization, RS256>"}

The JWS (RFC 7515) signs a *manifest*: the kind, the signing time and a SHA-256 digest of
every part of the content down to a few levels (``package.operations[2].attempts``...).
Its protected header carries the signer's certificate (``x5c``). Verifying checks, in
order: the certificate was issued by one of the trusted CAs and is in date; the
signature matches the manifest; every part's digest matches the content. So a change
is refused *naming the part that changed*, rather than with a bare "bad signature".

The signer is the factory's orchestrator certificate (``urn:pnp:orchestrator:<name>``)
from the factory PKI; RSA with SHA-256 because the PKI's keys are RSA (OPC UA needs it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pnp.orchestrator.errors import BadInput, PermissionDenied, Violation
from pnp.orchestrator.security.identities import Role, identity_from_uris
from pnp.orchestrator.security.tls_files import certificate_uris

SIGNED_FORMAT = "pnp.signed/v1"
DIGEST_DEPTH = 4  # content.package.operations[2].attempts: deep enough to say where
MAX_SIGNED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Signer:
    """The factory's key and certificate (PEM), as the PKI issued them."""

    certificate_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class Verified:
    kind: str
    content: dict[str, Any]
    signed_at: datetime
    signer: str  # the signer's identity URI, e.g. urn:pnp:orchestrator:orchestrator
    issuer: str  # the CA that issued the signer's certificate (its subject)


def sign(kind: str, content: dict[str, Any], signer: Signer, now: datetime) -> dict[str, Any]:
    """The signed document (plain JSON data) for ``content``."""
    certificate = x509.load_pem_x509_certificate(signer.certificate_pem)
    key = serialization.load_pem_private_key(signer.key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadInput("the factory key is not an RSA key", [Violation("key", "expected RSA")])
    header = {
        "alg": "RS256",
        "typ": "pnp-manifest+json",
        "x5c": [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()],
    }
    manifest = {"kind": kind, "signed_at": now.isoformat(), "digests": digests(content)}
    signing_input = f"{_b64(_canonical(header))}.{_b64(_canonical(manifest))}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return {
        "format": SIGNED_FORMAT,
        "kind": kind,
        "content": content,
        "signature": f"{signing_input}.{_b64(signature)}",
    }


def verify(
    document: Any, kind: str, trusted: Sequence[x509.Certificate], now: datetime
) -> Verified:
    """The document's content when it is intact, signed by a certificate one of
    ``trusted`` issued, and in date; ``BadInput`` naming what changed, or
    ``PermissionDenied`` naming the untrusted issuer, otherwise."""
    if not isinstance(document, dict) or document.get("format") != SIGNED_FORMAT:
        raise BadInput(
            f"not a signed pnp document (format {SIGNED_FORMAT})",
            [Violation("format", f"expected {SIGNED_FORMAT!r}")],
        )
    if document.get("kind") != kind:
        raise BadInput(
            f"this is a signed {document.get('kind')!r}, not a {kind!r}",
            [Violation("kind", f"expected {kind!r}")],
        )
    header, manifest, signing_input, signature = _parts(document.get("signature"))
    certificate = _signer_certificate(header)
    issuer = _trusted_issuer(certificate, trusted)
    signer = identity_from_uris(certificate_uris(certificate))
    if signer is None or signer.role is not Role.ORCHESTRATOR:
        raise PermissionDenied(
            f"signed by {signer or certificate.subject.rfc4514_string()}, which is not a "
            "factory's orchestrator: only a factory signs its data"
        )
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise PermissionDenied(
            f"the signer's certificate is not valid at {now.isoformat()} (valid "
            f"{certificate.not_valid_before_utc.isoformat()} .. "
            f"{certificate.not_valid_after_utc.isoformat()})"
        )
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BadInput("the signer's key is not RSA", [Violation("signature", "expected RS256")])
    try:
        public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise BadInput(
            "the signature does not match: the signed manifest (digests, kind or time) was altered",
            [Violation("signature", "does not verify with the signer's certificate")],
        ) from None
    if manifest.get("kind") != kind:
        raise BadInput(
            "the document's kind was changed",
            [Violation("kind", f"signed as {manifest.get('kind')!r}")],
        )
    content = document.get("content")
    if not isinstance(content, dict):
        raise BadInput("the document has no content", [Violation("content", "missing")])
    changes = _changes(manifest.get("digests", {}), digests(content))
    if changes:
        raise BadInput(
            "the document was altered after signing: "
            + ", ".join(f"{path} {how}" for path, how in changes),
            [Violation(f"content.{path}", f"{how} since signing") for path, how in changes],
        )
    return Verified(
        kind=kind,
        content=content,
        signed_at=datetime.fromisoformat(manifest["signed_at"]),
        signer=signer.uri,
        issuer=issuer.subject.rfc4514_string(),
    )


def digests(content: Any) -> dict[str, str]:
    """SHA-256 of each part of ``content`` at DIGEST_DEPTH (or of a shallower leaf)."""
    out: dict[str, str] = {}

    def walk(value: Any, path: str, depth: int) -> None:
        if depth < DIGEST_DEPTH and isinstance(value, dict) and value:
            for key in value:
                walk(value[key], f"{path}.{key}" if path else str(key), depth + 1)
        elif depth < DIGEST_DEPTH and isinstance(value, list) and value:
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]", depth + 1)
        else:
            out[path] = hashlib.sha256(_canonical(value)).hexdigest()

    walk(content, "", 0)
    return out


def load_trusted(pems: Sequence[bytes]) -> list[x509.Certificate]:
    certificates = []
    for pem in pems:
        certificates.extend(x509.load_pem_x509_certificates(pem))
    return certificates


def _changes(signed: dict[str, str], found: dict[str, str]) -> list[tuple[str, str]]:
    """(part, changed | removed | added) for each part that differs, in signed order."""
    changed = [(p, "changed") for p in signed if p in found and signed[p] != found[p]]
    removed = [(p, "removed") for p in signed if p not in found]
    added = [(p, "added") for p in found if p not in signed]
    return [*changed, *removed, *added]


def _parts(token: Any) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    bad = BadInput(
        "the signature is not a JWS compact serialization",
        [Violation("signature", "expected header.payload.signature (base64url)")],
    )
    if not isinstance(token, str) or token.count(".") != 2:
        raise bad
    header_b64, payload_b64, signature_b64 = token.split(".")
    try:
        header = json.loads(_unb64(header_b64))
        manifest = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(header, dict) or not isinstance(manifest, dict):
        raise bad
    if header.get("alg") != "RS256":
        raise BadInput(
            f"signature algorithm {header.get('alg')!r} is not accepted",
            [Violation("signature.alg", "only RS256 is accepted")],
        )
    return header, manifest, f"{header_b64}.{payload_b64}".encode("ascii"), signature


def _signer_certificate(header: dict[str, Any]) -> x509.Certificate:
    chain = header.get("x5c")
    try:
        return x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))  # type: ignore[index]
    except (TypeError, IndexError, KeyError, ValueError):
        raise BadInput(
            "the signature carries no signer certificate",
            [Violation("signature.x5c", "expected the signer's certificate (base64 DER)")],
        ) from None


def _trusted_issuer(
    certificate: x509.Certificate, trusted: Sequence[x509.Certificate]
) -> x509.Certificate:
    for ca in trusted:
        if ca.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ca
    names = ", ".join(ca.subject.rfc4514_string() for ca in trusted) or "none"
    raise PermissionDenied(
        f"signed by {certificate.subject.rfc4514_string()}, issued by "
        f"{certificate.issuer.rfc4514_string()}, which is not a trusted issuer here "
        f"(trusted: {names}); add that factory's CA with `pnp pki trust`"
    )


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
