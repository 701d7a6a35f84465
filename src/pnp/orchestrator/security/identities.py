"""Identities of the factory's parties, as written in their certificates.

Every certificate the factory PKI issues carries exactly one identity as a URI in its
subjectAltName: ``urn:pnp:module:<module id>``, ``urn:pnp:planner:<name>`` or
``urn:pnp:orchestrator:<name>``. The same URI is the OPC UA application URI of that
party, so OPC UA and gRPC agree on who is who. A planner's certificate may carry one
more URI, its role: ``urn:pnp:role:viewer``, ``...:planner`` or ``...:admin``
(``PlannerRole``); one without is a planner (certificates issued before roles existed
could submit, cancel and drain). Everything else in a certificate (its common name,
its DNS names) is ignored for authorisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

URI_PREFIX = "urn:pnp:"
ROLE_URI_PREFIX = "urn:pnp:role:"
# Module ids follow the descriptor rule (orchestrator.domain.modules.MODULE_ID); planner
# and orchestrator names the same alphabet, so every identity is a safe file name too.
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class Role(Enum):
    MODULE = "module"
    PLANNER = "planner"
    ORCHESTRATOR = "orchestrator"


class PlannerRole(Enum):
    """What a person may do, each role including the ones before it: a viewer reads; a
    planner also submits, cancels, drains and asks what-if; an admin also runs the
    factory's PKI and cluster operations."""

    VIEWER = "viewer"
    PLANNER = "planner"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(PlannerRole).index(self)

    def includes(self, needed: PlannerRole) -> bool:
        return self.rank >= needed.rank

    @property
    def uri(self) -> str:
        return f"{ROLE_URI_PREFIX}{self.value}"


# A planner certificate without a role URI: issued before roles existed, when every
# planner could submit, cancel and drain. It keeps those powers, and no more.
UNSTATED_ROLE = PlannerRole.PLANNER


@dataclass(frozen=True)
class Identity:
    role: Role
    name: str

    @property
    def uri(self) -> str:
        return f"{URI_PREFIX}{self.role.value}:{self.name}"

    def __str__(self) -> str:
        return f"{self.role.value} {self.name}"


def parse_identity_uri(uri: str) -> Identity | None:
    """``urn:pnp:module:laser-7`` -> Identity(MODULE, "laser-7"); None for anything else."""
    if not uri.startswith(URI_PREFIX):
        return None
    role_text, _, name = uri[len(URI_PREFIX) :].partition(":")
    role = next((r for r in Role if r.value == role_text), None)
    if role is None or not NAME.fullmatch(name):
        return None
    return Identity(role, name)


def identity_from_uris(uris: Iterable[str]) -> Identity | None:
    """The one pnp identity among a certificate's SAN URIs; None if none or ambiguous.

    Two different identities in one certificate would let its holder choose who to be:
    such a certificate identifies nobody.
    """
    found = {identity for uri in uris if (identity := parse_identity_uri(uri)) is not None}
    return found.pop() if len(found) == 1 else None


def planner_role_from_uris(uris: Iterable[str]) -> PlannerRole | None:
    """The role among a planner certificate's SAN URIs: ``UNSTATED_ROLE`` when it names
    none, None when it names an unknown role or several (such a certificate may do
    nothing, rather than whichever its holder prefers)."""
    named = {uri[len(ROLE_URI_PREFIX) :] for uri in uris if uri.startswith(ROLE_URI_PREFIX)}
    if not named:
        return UNSTATED_ROLE
    roles = {role for role in PlannerRole if role.value in named}
    return roles.pop() if len(named) == 1 and len(roles) == 1 else None
