"""Plugging the test fermenter PEA into pnp through the adapter, as `pnp module run-mtp` does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pnp.mtp.adapter import PeaAdapter
from pnp.mtp.descriptor import MtpDescriptor, Naming, describe
from pnp.mtp.manifest import read_manifest
from tests.mtp.fermenter_pea import FermenterPea

MANIFEST = Path(__file__).with_name("fermenter.aml")
RECIPES = Path(__file__).parent

# What a process engineer would give `pnp module import-mtp` for this skid.
NAMING = Naming(
    names={
        "Ferment": "bio.fermentation",
        "Harvest": "bio.harvest",
        "Ferment.Volume": "volume_l",
        "Ferment.Temperature": "temperature_c",
        "Ferment.Titer": "titer_g_per_l",
    },
    seconds={"Ferment": 43200, "Harvest": 1800},
    footprint="ISO_40FT",
)


def fermenter_descriptor() -> MtpDescriptor:
    descriptor, _warnings = describe(read_manifest(MANIFEST), NAMING)
    return descriptor


async def start_adapter(
    pea: FermenterPea, *, module_id: str, dock: str, orchestrator: str | None, **options
) -> tuple[PeaAdapter, asyncio.Task]:
    """An adapter for ``pea``, running; returns once the PEA answers and, with an
    orchestrator, once the module's session is acknowledged."""
    adapter = PeaAdapter(
        fermenter_descriptor(),
        module_id=module_id,
        dock=dock,
        orchestrator=orchestrator,
        endpoint=pea.endpoint,
        **options,
    )
    task = asyncio.create_task(adapter.run())
    ready = asyncio.create_task(
        adapter.client.registered.wait() if adapter.client else adapter.gate.opened.wait()
    )
    done, _ = await asyncio.wait({ready, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task.done():
            task.result()  # raises why the adapter stopped
        raise TimeoutError(f"{module_id} did not come up")
    await adapter.module.serving.wait()
    return adapter, task


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
