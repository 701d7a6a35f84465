"""What-if modules are placed on the floor by the rules a real registration meets.

A module added to a what-if (``--with KIND@DOCK``) must fit where a real one would:
the dock exists in the layout, supplies enough power, air and water, and is free,
counting the modules the same what-if takes out (``--without``) as gone. The check is
the registry's own admission, run on a scratch copy of the floor, so the two can never
disagree; the live registry is not touched.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.errors import Conflict
from pnp.orchestrator.registry.leases import Registry

WHAT_IF_BOOT = "what-if"


def check_what_if_docks(
    registry: Registry, added: Iterable[ModuleDescription], without: Collection[str]
) -> None:
    """Raises what a registration of each added module would (``Conflict`` for a taken
    dock or too little supply, ``BadInput`` for an unknown dock), in order, so two
    added modules cannot share a dock either."""
    scratch = Registry(
        registry.clock,
        lease_ttl=registry.lease_ttl,
        heartbeat_interval=registry.heartbeat_interval,
        layout=registry.layout,
    )
    for entry in registry.entries():
        if entry.module_id not in without and entry.liveness.occupies_dock:
            scratch.record(entry)
    claimed: dict[str, str] = {}  # dock -> the added module on it (ids may repeat)
    for description in added:
        if description.dock in claimed:
            raise Conflict(
                f"what-if module {description.kind}@{description.dock}: dock "
                f"{description.dock} is taken by the what-if's {claimed[description.dock]}"
            )
        claimed[description.dock] = f"{description.kind}@{description.dock}"
        try:
            scratch.admit(description, WHAT_IF_BOOT)
        except Conflict as refused:
            hint = (
                " (in a what-if, take it out with --without)" if "taken" in refused.message else ""
            )
            raise Conflict(
                f"what-if module {description.kind}@{description.dock}: {refused.message}{hint}"
            ) from None
