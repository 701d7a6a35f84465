"""Enforcing ``security.permissions`` on calls: the caller's identity (and a planner's
role) from its TLS certificate, a role check per method (an interceptor), a module-id
check per request, and the revocation list (``security.revocation``) on every call.

Every call runs as its caller (``security.audit.acting_as``), so the events it causes
name who asked: the audit trail.

Without TLS (local development) there is no identity: ``Access(enforced=False)`` lets
everything through (its calls are ``anonymous`` in the event log), and ``pnp serve``
says so loudly at start.
"""

from __future__ import annotations

import functools
import inspect

import grpc
from cryptography import x509

from pnp.orchestrator.api.status import abort_with
from pnp.orchestrator.errors import PermissionDenied
from pnp.orchestrator.security.audit import ANONYMOUS, acting_as
from pnp.orchestrator.security.identities import (
    Identity,
    Role,
    identity_from_uris,
    planner_role_from_uris,
)
from pnp.orchestrator.security.permissions import Caller, call_refusal, may_act_for_module
from pnp.orchestrator.security.revocation import RevocationList, revocation_reason
from pnp.orchestrator.security.tls_files import certificate_hosts, certificate_uris


class Access:
    def __init__(self, enforced: bool, revocations: RevocationList | None = None) -> None:
        self.enforced = enforced
        self.revocations = revocations

    def actor(self, context: grpc.aio.ServicerContext) -> str:
        """Who the event log says made this call (``security.audit``)."""
        if not self.enforced:
            return ANONYMOUS
        caller = self.caller_with_role(context)
        return str(caller) if caller is not None else "a certificate naming nobody"

    def revocation(self, context: grpc.aio.ServicerContext) -> str | None:
        """Why the caller's certificate may no longer be used, or None while it may."""
        if not self.enforced or self.revocations is None:
            return None
        certificates = (context.auth_context() or {}).get("x509_pem_cert") or []
        if not certificates:
            return None
        serial = serial_of(certificates[0])
        since = self.revocations.revoked_since(serial)
        if since is None:
            return None
        return revocation_reason(self.caller(context) or "this caller", serial, since)

    def caller(self, context: grpc.aio.ServicerContext) -> Identity | None:
        """The identity in the client's certificate (gRPC verified it against the CA)."""
        certificates = (context.auth_context() or {}).get("x509_pem_cert") or []
        return _identity_of(certificates[0]) if certificates else None

    def caller_with_role(self, context: grpc.aio.ServicerContext) -> Caller | None:
        """The caller and, for a planner, the role its certificate carries."""
        certificates = (context.auth_context() or {}).get("x509_pem_cert") or []
        return caller_of(certificates[0]) if certificates else None

    def accountable(self, context: grpc.aio.ServicerContext) -> str | None:
        """Whom a rate limit counts against: the identity in the certificate. None
        without TLS: a connection is no identity (gRPC shares one connection among all
        the channels of a process, so ten modules in one process look like one peer)."""
        identity = self.caller(context) if self.enforced else None
        return identity.uri if identity is not None else None

    def caller_hosts(self, context: grpc.aio.ServicerContext) -> frozenset[str]:
        """The hosts the caller's certificate pins (DNS and IP SANs); empty without TLS."""
        if not self.enforced:
            return frozenset()
        certificates = (context.auth_context() or {}).get("x509_pem_cert") or []
        return _hosts_of(certificates[0]) if certificates else frozenset()

    def require_module(self, context: grpc.aio.ServicerContext, module_id: str) -> None:
        if not self.enforced:
            return
        identity = self.caller(context)
        if not may_act_for_module(identity, module_id):
            raise PermissionDenied(
                f"{identity or 'this caller'} may not act for module {module_id!r}: a module "
                "may only register, hold a session and deregister as the id in its certificate"
            )


@functools.lru_cache(maxsize=1024)
def _identity_of(pem: bytes) -> Identity | None:
    return identity_from_uris(certificate_uris(x509.load_pem_x509_certificate(pem)))


@functools.lru_cache(maxsize=1024)
def caller_of(pem: bytes) -> Caller | None:
    """The caller a PEM certificate (already verified against the factory CA) names."""
    uris = certificate_uris(x509.load_pem_x509_certificate(pem))
    identity = identity_from_uris(uris)
    if identity is None:
        return None
    role = planner_role_from_uris(uris) if identity.role is Role.PLANNER else None
    return Caller(identity, role)


@functools.lru_cache(maxsize=1024)
def serial_of(pem: bytes) -> int:
    return x509.load_pem_x509_certificate(pem).serial_number


@functools.lru_cache(maxsize=1024)
def _hosts_of(pem: bytes) -> frozenset[str]:
    return certificate_hosts(x509.load_pem_x509_certificate(pem))


class RoleInterceptor(grpc.aio.ServerInterceptor):
    """Refuses, with PERMISSION_DENIED naming the role needed or the revocation, calls the
    caller may not make; runs each call as its caller (the audit trail). Without TLS it
    only does the latter, as ``anonymous``."""

    def __init__(self, access: Access) -> None:
        self.access = access

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        service, _, method = handler_call_details.method.strip("/").partition("/")
        return _guarded(handler, service, method, self.access)


async def _check(context, service: str, method: str, access: Access) -> None:
    if not access.enforced:
        return
    reason = access.revocation(context) or call_refusal(
        access.caller_with_role(context), service, method
    )
    if reason is not None:
        await abort_with(context, PermissionDenied(reason))


def _guard(behaviour, service: str, method: str, access: Access):
    """``behaviour`` run only after the checks, as its caller; same shape (coroutine or
    generator)."""

    if inspect.isasyncgenfunction(behaviour):

        async def streaming(request, context):
            await _check(context, service, method, access)
            with acting_as(access.actor(context)):
                async for item in behaviour(request, context):
                    yield item

        return streaming

    async def unary(request, context):
        await _check(context, service, method, access)
        with acting_as(access.actor(context)):
            return await behaviour(request, context)

    return unary


_BUILDERS = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


def _guarded(handler: grpc.RpcMethodHandler, service: str, method: str, access: Access):
    attribute, build = _BUILDERS[(handler.request_streaming, handler.response_streaming)]
    return build(
        _guard(getattr(handler, attribute), service, method, access),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
