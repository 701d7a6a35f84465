"""A throw-away factory PKI for ``pnp demo --secure``: a CA, the orchestrator, one
planner and every demo module, issued into a temporary folder that dies with the demo.

Lives in the CLI (the composition root) because it hands module credentials to the
vendor SDK's ``ModuleSecurity``, which the rest of the orchestrator never imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.tls_files import TlsFiles, files_in_directory
from pnp.sdk.security import ModuleSecurity

ORCHESTRATOR = Identity(Role.ORCHESTRATOR, "orchestrator")
PLANNER = Identity(Role.PLANNER, "demo")


@dataclass(frozen=True)
class DemoPki:
    root: Path

    @classmethod
    def create(cls, root: Path, floor: tuple[tuple[str, str], ...]) -> DemoPki:
        pki.init_ca(root)
        for identity in (
            ORCHESTRATOR,
            PLANNER,
            *(Identity(Role.MODULE, module_id(kind, dock)) for kind, dock in floor),
        ):
            pki.issue(root, identity)
        return cls(root)

    @property
    def orchestrator(self) -> TlsFiles:
        return files_in_directory(self.root, ORCHESTRATOR)

    @property
    def planner(self) -> TlsFiles:
        return files_in_directory(self.root, PLANNER)

    def module(self, kind: str, dock: str) -> ModuleSecurity:
        return ModuleSecurity.from_directory(self.root, module_id(kind, dock))


def module_id(kind: str, dock: str) -> str:
    # The simulator's default id (SimulatedModuleConfig.resolved_module_id).
    return f"{kind}-{dock}".lower()
