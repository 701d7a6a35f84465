"""The module registry: who is plugged in where, their leases and epochs."""

from pnp.orchestrator.registry.leases import Liveness, ModuleEntry, Registry
from pnp.orchestrator.registry.pauses import PauseDetector, PauseStats

__all__ = ["Liveness", "ModuleEntry", "PauseDetector", "PauseStats", "Registry"]
