"""What a module vendor installs: describe a module, register it, keep its session alive.

The vendor's one import line: ``from pnp.sdk import Module, SkillContext, ModuleType,
CapabilitySpec, ParameterEnvelope, TimeModel`` (everything in ``__all__``). Inside:

- ``descriptors``: typed capability envelopes, time models and utility needs, and their
  conversion to the ``pnp.v1`` contract.
- ``catalog``: the simulator's module kinds (``catalog.yaml``).
- ``session``: the gRPC client side of ``pnp.v1.ModuleRegistry`` (register with backoff,
  heartbeats, directives, re-registration after a lost session).
- ``sim``: the reference simulated module used by the demo and the tests.

This package imports only ``pnp.v1`` and itself, so vendors never install the orchestrator.
"""

from pnp.sdk.descriptors import (
    CapabilitySpec,
    Changeover,
    ModuleType,
    ParameterEnvelope,
    TimeModel,
    UtilityNeeds,
)
from pnp.sdk.module import Module
from pnp.sdk.security import ENV_TLS_DIR, ModuleSecurity
from pnp.sdk.session import RegistrationRefused
from pnp.sdk.skill import Interrupted, SkillContext

__all__ = [
    "ENV_TLS_DIR",
    "CapabilitySpec",
    "Changeover",
    "Interrupted",
    "Module",
    "ModuleSecurity",
    "ModuleType",
    "ParameterEnvelope",
    "RegistrationRefused",
    "SkillContext",
    "TimeModel",
    "UtilityNeeds",
]
