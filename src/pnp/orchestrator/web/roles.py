"""The console's roles: what each request needs, checked before any handler runs.

The same rules as the gRPC API (``security.permissions``): reading a page, a document,
the event stream or /metrics needs a viewer; every action (a POST: submit, cancel,
drain, what-if) needs a planner; /healthz any certificate of the factory CA. A refusal
is HTTP 403 naming the role needed, as PERMISSION_DENIED does on gRPC; so is a
certificate on the factory's revocation list (``security.revocation``). Every request
runs as its caller (``security.audit``): what the console's actions cause is in the
event log under the certificate's identity, or ``anonymous`` without TLS, where there
are no identities and the console listens on loopback only (``listen``).
"""

from __future__ import annotations

import re

from pnp.orchestrator.errors import PermissionDenied
from pnp.orchestrator.security.audit import ANONYMOUS, acting_as
from pnp.orchestrator.security.identities import PlannerRole
from pnp.orchestrator.security.permissions import Caller, refusal
from pnp.orchestrator.security.revocation import RevocationList, revocation_reason

ANY_CERTIFICATE = ("/healthz",)
# What a POST does, in the planner's words, for the refusal's message.
_ACTIONS = (
    (re.compile(r"^/api/orders$"), "submit orders"),
    (re.compile(r"^/api/orders/[^/]+/cancel$"), "cancel orders"),
    (re.compile(r"^/api/modules/[^/]+/drain$"), "drain modules"),
    (re.compile(r"^/api/what-if$"), "ask what-if"),
)


def console_refusal(caller: Caller | None, method: str, path: str) -> str | None:
    """Why ``caller`` may not make this request, or None if it may."""
    if path in ANY_CERTIFICATE:
        return None if caller is not None else "the console needs a factory certificate"
    if method in ("GET", "HEAD"):
        return refusal(caller, PlannerRole.VIEWER, "read the console")
    action = next((name for pattern, name in _ACTIONS if pattern.match(path)), f"{method} {path}")
    return refusal(caller, PlannerRole.PLANNER, action)


class RoleGate:
    """ASGI middleware: a request its caller may not make ends here, answered by
    ``refuse`` (the app's error response for ``PermissionDenied``: a 403); the others
    run as their caller. ``secured`` False (plain HTTP): nobody is refused, everyone is
    anonymous."""

    def __init__(
        self,
        app,
        caller_in,
        serial_in,
        refuse,
        secured: bool = True,
        revocations: RevocationList | None = None,
    ) -> None:
        self.app = app
        self.caller_in = caller_in
        self.serial_in = serial_in
        self.refuse = refuse
        self.secured = secured
        self.revocations = revocations

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.secured:
            with acting_as(ANONYMOUS):
                await self.app(scope, receive, send)
            return
        caller = self.caller_in(scope)
        reason = self._revocation(scope, caller) or console_refusal(
            caller, scope["method"], scope["path"]
        )
        if reason is not None:
            await self.refuse(PermissionDenied(reason))(scope, receive, send)
            return
        with acting_as(str(caller)):
            await self.app(scope, receive, send)

    def _revocation(self, scope, caller: Caller | None) -> str | None:
        serial = self.serial_in(scope)
        if self.revocations is None or serial is None:
            return None
        since = self.revocations.revoked_since(serial)
        return None if since is None else revocation_reason(caller, serial, since)
