"""Who may call what: the authorisation rules, as pure functions over callers.

- ``pnp.v1.ModuleRegistry``: modules only, and each only for the module id in its
  certificate (register, session, deregister).
- ``pnp.v1.Orchestrator`` and ``pnp.v1.DigitalTwin``: planners only (a module
  certificate is refused), each call by the least role that may make it
  (``METHOD_ROLES``): reads need a viewer; submit, cancel, drain, what-if, signing in
  the factory's name and planning maintenance a planner. Any other ``pnp.v1``
  service, and any method not listed, needs an admin: a new call stays closed until
  someone decides who may make it.
- Health and reflection: any certificate of the factory CA (the TLS handshake already
  demands one), so probes and ``buf curl`` work with any planner's certificate.

The web console asks the same questions (``refusal``) with the role each page or
action needs, so a viewer is refused the same drain on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from pnp.orchestrator.security.identities import Identity, PlannerRole, Role

MODULE_REGISTRY = "pnp.v1.ModuleRegistry"
ORCHESTRATOR = "pnp.v1.Orchestrator"
DIGITAL_TWIN = "pnp.v1.DigitalTwin"
OUR_SERVICES = "pnp.v1."

VIEWER, PLANNER, ADMIN = PlannerRole.VIEWER, PlannerRole.PLANNER, PlannerRole.ADMIN
ORCHESTRATOR_ROLES: dict[str, PlannerRole] = {
    "GetOrder": VIEWER,
    "ListOrders": VIEWER,
    "ListModules": VIEWER,
    "GetModule": VIEWER,
    "GetPlan": VIEWER,
    "WatchEvents": VIEWER,
    "ExportOrderData": VIEWER,
    "ListAttempts": VIEWER,
    "GetLayout": VIEWER,
    "SubmitOrder": PLANNER,
    "CancelOrder": PLANNER,
    "DrainModule": PLANNER,
    "WhatIf": PLANNER,
}
DIGITAL_TWIN_ROLES: dict[str, PlannerRole] = {
    "GetModuleShell": VIEWER,
    "GetUsage": VIEWER,
    "ListModuleHealth": VIEWER,
    # Signed in the factory's name, or changing what the factory trusts and plans.
    "ExportPassport": PLANNER,
    "ExportSignedOrderData": PLANNER,
    "ImportPassport": PLANNER,
    "ScheduleMaintenance": PLANNER,
}
METHOD_ROLES: dict[str, dict[str, PlannerRole]] = {
    ORCHESTRATOR: ORCHESTRATOR_ROLES,
    DIGITAL_TWIN: DIGITAL_TWIN_ROLES,
}


@dataclass(frozen=True)
class Caller:
    """Who is calling: the identity in its certificate and, for a planner, its role
    (None when the certificate names an unknown role or several)."""

    identity: Identity
    role: PlannerRole | None = None

    def __str__(self) -> str:
        if self.identity.role is not Role.PLANNER:
            return str(self.identity)
        return f"{self.identity} ({self.role.value if self.role else 'no valid role'})"


def role_needed(service: str, method: str) -> PlannerRole | None:
    """The least planner role that may call ``service/method``; None when the call is
    not a planner's (the module registry, health, reflection)."""
    if service == MODULE_REGISTRY or not service.startswith(OUR_SERVICES):
        return None
    return METHOD_ROLES.get(service, {}).get(method, ADMIN)


def refusal(caller: Caller | None, needed: PlannerRole, action: str) -> str | None:
    """Why ``caller`` may not do ``action`` (which needs ``needed``), or None if it may."""
    wanted = f"a planner certificate with the {needed.value} role"
    if caller is None:
        return f"no certificate: to {action} you need {wanted}"
    if caller.identity.role is not Role.PLANNER:
        return f"{caller} may not {action}: it needs {wanted}"
    if caller.role is None or not caller.role.includes(needed):
        return f"{caller} may not {action}: it needs the {needed.value} role"
    return None


def call_refusal(caller: Caller | None, service: str, method: str) -> str | None:
    """Why ``caller`` may not call ``service/method``, or None if it may."""
    if service == MODULE_REGISTRY:
        if caller is not None and caller.identity.role is Role.MODULE:
            return None
        return f"{caller or 'this caller'} may not call {service}: it is for modules only"
    needed = role_needed(service, method)
    if needed is None:  # health, reflection: the handshake was enough
        return None
    return refusal(caller, needed, f"call {service}/{method}")


def may_act_for_module(identity: Identity | None, module_id: str) -> bool:
    return identity is not None and identity.role is Role.MODULE and identity.name == module_id
