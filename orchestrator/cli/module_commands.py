"""``pnp module ...`` and ``pnp modules``: run simulated modules and look at registered ones.

This file (with ``demo``) is where the CLI, as composition root, reaches into the
``modules`` package; the rest of the orchestrator never imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click
import grpc

from modules.catalog import UnknownKind, load_catalog
from modules.session import RegistrationRefused
from modules.sim import SimulatedModule, SimulatedModuleConfig
from orchestrator.cli.main import CliContext, ask, cli, json_option, run
from orchestrator.cli.output import (
    as_dict,
    console,
    emit_json,
    errors,
    module_detail,
    modules_table,
)
from orchestrator.errors import BadInput, Conflict, Violation


@cli.group()
def module() -> None:
    """Run a simulated module, list the catalog, show registered modules."""


@cli.command("modules")
@json_option
@click.pass_obj
def list_modules(obj: CliContext, as_json: bool) -> None:
    """List registered modules."""

    modules = ask(obj, lambda c: c.list_modules())
    if as_json:
        emit_json({"modules": [as_dict(m) for m in modules]})
    else:
        console.print(modules_table(modules))


@module.command()
@click.argument("module_id")
@json_option
@click.pass_obj
def show(obj: CliContext, module_id: str, as_json: bool) -> None:
    """Show one registered module: dock, lease, capabilities and their envelopes."""

    found = ask(obj, lambda c: c.get_module(module_id))
    if as_json:
        emit_json({"module": as_dict(found)})
    else:
        console.print(module_detail(found))


@module.command()
@json_option
def catalog(as_json: bool) -> None:
    """List the module kinds the simulator offers."""
    kinds = load_catalog().kinds
    if as_json:
        emit_json({"kinds": {name: kind.model_dump(mode="json") for name, kind in kinds.items()}})
        return
    for name, kind in kinds.items():
        capabilities = ", ".join(c.name for c in kind.capabilities)
        console.print(f"[bold]{name}[/]: {kind.vendor} {kind.model} ({capabilities})")


@module.command("run")
@click.argument("kind")
@click.option("--dock", required=True, help="The dock the module is plugged into.")
@click.option("--id", "module_id", default="", help="Module id (default: KIND-DOCK).")
@click.option("--seed", default=0, show_default=True, help="Seed of the module's randomness.")
@click.pass_obj
def run_module(obj: CliContext, kind: str, dock: str, module_id: str, seed: int) -> None:
    """Run a simulated module of catalog KIND: it registers on DOCK over gRPC and keeps
    its session alive (re-registering after outages) until interrupted."""
    try:
        simulated = SimulatedModule(
            SimulatedModuleConfig(
                kind=kind, dock=dock, module_id=module_id, orchestrator=obj.orchestrator, seed=seed
            )
        )
    except UnknownKind as error:
        raise BadInput(str(error), [Violation("kind", str(error))]) from None
    run(_run_until_interrupted(simulated))


async def _run_until_interrupted(simulated: SimulatedModule) -> None:
    task = asyncio.create_task(simulated.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)

    async def announce() -> None:
        await simulated.client.registered.wait()
        registration = simulated.client.registration
        console.print(
            f"module {simulated.module_id} ({simulated.config.kind}) registered on dock "
            f"{simulated.config.dock}, epoch {registration.epoch}",
            soft_wrap=True,
        )

    announcer = asyncio.create_task(announce())
    try:
        await task
    except asyncio.CancelledError:
        errors.print(f"module {simulated.module_id} stopped")
    except RegistrationRefused as refused:
        message = f"module {simulated.module_id} refused: {refused.message}"
        if refused.code is grpc.StatusCode.INVALID_ARGUMENT:
            raise BadInput(message) from None
        raise Conflict(message) from None
    finally:
        announcer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await announcer
