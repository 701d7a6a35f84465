"""The module registry: who is plugged in where, their leases and epochs."""

from pnp.orchestrator.registry.leases import Liveness, ModuleEntry, Registry

__all__ = ["Liveness", "ModuleEntry", "Registry"]
