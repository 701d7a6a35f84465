"""The console's roles: what each request needs, checked before any handler runs.

The same rules as the gRPC API (``security.permissions``): reading a page, a document,
the event stream or /metrics needs a viewer; every action (a POST: submit, cancel,
drain, what-if) needs a planner; /healthz any certificate of the factory CA. A refusal
is HTTP 403 naming the role needed, as PERMISSION_DENIED does on gRPC. Without TLS
there are no identities, and the console listens on loopback only (``listen``).
"""

from __future__ import annotations

import re

from pnp.orchestrator.errors import PermissionDenied
from pnp.orchestrator.security.identities import PlannerRole
from pnp.orchestrator.security.permissions import Caller, refusal

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
    ``refuse`` (the app's error response for ``PermissionDenied``: a 403)."""

    def __init__(self, app, caller_in, refuse) -> None:
        self.app = app
        self.caller_in = caller_in
        self.refuse = refuse

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            reason = console_refusal(self.caller_in(scope), scope["method"], scope["path"])
            if reason is not None:
                await self.refuse(PermissionDenied(reason))(scope, receive, send)
                return
        await self.app(scope, receive, send)
