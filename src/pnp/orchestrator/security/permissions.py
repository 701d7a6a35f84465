"""Who may call what: the authorisation rules, as pure functions over identities.

- ``pnp.v1.ModuleRegistry``: modules only, and each only for the module id in its
  certificate (register, session, deregister).
- ``pnp.v1.Orchestrator`` and ``pnp.v1.DigitalTwin``: planners only (a module
  certificate is refused).
- Health and reflection: any certificate of the factory CA (the TLS handshake already
  demands one), so probes and ``buf curl`` work with a planner's certificate.
"""

from __future__ import annotations

from pnp.orchestrator.security.identities import Identity, Role

MODULE_REGISTRY = "pnp.v1.ModuleRegistry"
ORCHESTRATOR = "pnp.v1.Orchestrator"
DIGITAL_TWIN = "pnp.v1.DigitalTwin"
SERVICE_ROLES: dict[str, frozenset[Role]] = {
    MODULE_REGISTRY: frozenset({Role.MODULE}),
    ORCHESTRATOR: frozenset({Role.PLANNER}),
    DIGITAL_TWIN: frozenset({Role.PLANNER}),
}


def may_call(identity: Identity | None, service: str) -> bool:
    roles = SERVICE_ROLES.get(service)
    if roles is None:  # health, reflection: the handshake was enough
        return True
    return identity is not None and identity.role in roles


def may_act_for_module(identity: Identity | None, module_id: str) -> bool:
    return identity is not None and identity.role is Role.MODULE and identity.name == module_id
