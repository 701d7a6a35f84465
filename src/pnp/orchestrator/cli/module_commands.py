"""``pnp module ...`` and ``pnp modules``: run simulated modules and look at registered ones.

This file (with ``demo``) is where the CLI, as composition root, reaches into the
``modules`` package; the rest of the orchestrator never imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal

import click
import grpc
from rich.table import Table
from rich.text import Text

from pnp.orchestrator.cli.app import CliContext, ask, cli, json_option, quiet_libraries, run
from pnp.orchestrator.cli.json_style import words
from pnp.orchestrator.cli.output import (
    as_dict,
    console,
    emit_json,
    emit_json_line,
    errors,
    module_detail,
    modules_table,
    styled,
)
from pnp.orchestrator.cli.tls_options import TlsChoice, tls_options
from pnp.orchestrator.errors import BadInput, Conflict, PermissionDenied, Violation
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.tls_files import DEFAULT_ORCHESTRATOR_NAME
from pnp.sdk.catalog import UnknownKind, load_catalog
from pnp.sdk.session import RegistrationRefused


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
@click.argument("module_id")
@json_option
@click.pass_obj
def drain(obj: CliContext, module_id: str, as_json: bool) -> None:
    """Drain a module: no new work; its current operation finishes; the rest is replanned
    elsewhere; then it is released (OutOfService) and may be unplugged."""
    drained = ask(obj, lambda c: c.drain_module(module_id))
    if as_json:
        emit_json({"module": as_dict(drained)})
    else:
        state = "released" if drained.released else "draining"
        console.print(f"module {drained.descriptor.module_id}: {state}")


def _kind_json(kind) -> dict:
    """A catalog kind by the JSON convention: its footprint in words, like every enum."""
    document = kind.model_dump(mode="json")
    document["footprint"] = words(document["footprint"])
    return document


@module.command()
@json_option
def catalog(as_json: bool) -> None:
    """List the module kinds the simulator offers."""
    kinds = load_catalog().kinds
    if as_json:
        emit_json({"kinds": {name: _kind_json(kind) for name, kind in kinds.items()}})
        return
    for name, kind in kinds.items():
        capabilities = ", ".join(c.name for c in kind.capabilities)
        console.print(styled((name, "bold"), f": {kind.vendor} {kind.model} ({capabilities})"))


@module.command("run")
@click.argument("kind")
@click.option("--dock", required=True, help="The dock the module is plugged into.")
@click.option("--id", "module_id", default="", help="Module id (default: KIND-DOCK).")
@click.option(
    "--opcua-port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="OPC UA port (0: any free port; the endpoint is printed).",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Factory seconds per real second (60: an hour of work takes a minute).",
)
@click.option(
    "--failure-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Probability that an execution fails (failure injection).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of durations and failures.")
@click.option(
    "--advertise-opcua",
    "advertised_endpoint",
    default=None,
    metavar="opc.tcp://HOST:PORT",
    help="The OPC UA endpoint the orchestrator is told to dial, when it reaches the module "
    "by another address than the one served (a port forward, NAT, a test's proxy).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Append one JSON line per accepted execution to this file (the module's record).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Announce serving and registration as JSON lines."
)
@click.option(
    "--replace",
    is_flag=True,
    help="A deliberate swap: take the module id over from another unit that holds it "
    "(without it, an id held by a live module of another serial, kind or dock is refused).",
)
@click.option(
    "--standalone",
    is_flag=True,
    help="Serve OPC UA only, without registering (e.g. for `pnp module check`).",
)
@tls_options
@click.pass_obj
def run_module(
    obj: CliContext,
    kind: str,
    dock: str,
    module_id: str,
    opcua_port: int,
    time_scale: float,
    failure_rate: float,
    seed: int,
    advertised_endpoint: str | None,
    journal: str | None,
    as_json: bool,
    replace: bool,
    standalone: bool,
    tls_dir,
    ca,
    cert,
    key,
) -> None:
    """Run a simulated module of catalog KIND on DOCK.

    It serves its skills over OPC UA at once, then registers with the orchestrator
    over gRPC and keeps its session alive, retrying while the orchestrator is
    unreachable, until interrupted. With --tls-dir (or --ca/--cert/--key) it uses the
    module's certificate: mutual TLS to the orchestrator, OPC UA SignAndEncrypt only.
    """
    from pnp.sdk.security import ModuleSecurity
    from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig  # asyncua: load on use

    if advertised_endpoint is not None and not advertised_endpoint.startswith("opc.tcp://"):
        raise BadInput(
            f"{advertised_endpoint!r} is not an OPC UA endpoint",
            [Violation("--advertise-opcua", "expected opc.tcp://HOST:PORT")],
        )
    resolved_id = SimulatedModuleConfig(kind, dock, module_id=module_id).resolved_module_id
    tls = TlsChoice(tls_dir, ca, cert, key).files_for(Identity(Role.MODULE, resolved_id))
    security = None if tls is None else ModuleSecurity(tls.ca, tls.certificate, tls.key)
    try:
        simulated = SimulatedModule(
            SimulatedModuleConfig(
                kind=kind,
                dock=dock,
                module_id=module_id,
                orchestrator=None if standalone else obj.orchestrator,
                opcua_port=opcua_port,
                time_scale=time_scale,
                failure_rate=failure_rate,
                seed=seed,
                journal=journal,
                security=security,
                advertised_endpoint=advertised_endpoint,
                replace=replace,
            )
        )
    except UnknownKind as error:
        raise BadInput(str(error), [Violation("kind", str(error))]) from None
    # asyncua's warnings and teardown tracebacks are not for people; ours stay.
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    run(_run_until_interrupted(simulated, as_json))


async def _run_until_interrupted(simulated, as_json: bool) -> None:
    task = asyncio.create_task(simulated.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)

    async def announce() -> None:
        await simulated.serving.wait()
        if as_json:
            emit_json_line({"module_id": simulated.module_id, "opcua_endpoint": simulated.endpoint})
        else:
            console.print(f"module {simulated.module_id} serving OPC UA at {simulated.endpoint}")
            console.file.flush()
        if simulated.client is None:
            return
        await simulated.client.registered.wait()
        epoch = simulated.client.registration.epoch
        if as_json:
            emit_json_line(
                {"module_id": simulated.module_id, "dock": simulated.dock, "epoch": epoch}
            )
        else:
            console.print(
                f"module {simulated.module_id} ({simulated.kind}) registered on dock "
                f"{simulated.dock}, epoch {epoch}",
                soft_wrap=True,
            )
            console.file.flush()

    announcer = asyncio.create_task(announce())
    try:
        await task
    except asyncio.CancelledError:
        errors.print(f"module {simulated.module_id} stopped")
    except RegistrationRefused as refused:
        message = f"module {simulated.module_id} refused: {refused.message}"
        if refused.code is grpc.StatusCode.INVALID_ARGUMENT:
            raise BadInput(message) from None
        if refused.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
            raise PermissionDenied(message) from None
        raise Conflict(message) from None
    finally:
        announcer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await announcer


@module.command()
@click.argument("endpoint")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for each state.")
@tls_options
@click.option(
    "--name",
    default=DEFAULT_ORCHESTRATOR_NAME,
    show_default=True,
    help="With --tls-dir: whose orchestrator certificate to connect with.",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="CHECK",
    help="Run only this check (repeatable): a check's name, such as 'abort and clear' "
    "(on every skill) or 'telemetry', or one result's name ('cutting.laser: to complete').",
)
@click.option(
    "--shuffle",
    type=int,
    default=None,
    metavar="SEED",
    help="Run the checks in an order drawn from SEED (each check stands alone).",
)
@json_option
def check(
    endpoint: str,
    timeout: float,
    tls_dir,
    ca,
    cert,
    key,
    name,
    only: tuple[str, ...],
    shuffle: int | None,
    as_json: bool,
) -> int:
    """Run the conformance kit against the module at ENDPOINT (opc.tcp://host:port).

    Exercises every skill over OPC UA: information model, refused commands, parameter
    checks, Start to Complete, idempotent Start, Hold/Suspend/Stop, Abort/Clear,
    ToComplete, telemetry. Each check starts from Idle and runs its own executions, so
    it gives the same verdict alone (--only), after others, or in any order (--shuffle).
    Exit 0 when every check passes, 1 otherwise. A secured module admits only the
    orchestrator: give --tls-dir (or --ca/--cert/--key) to connect with the
    orchestrator's certificate over SignAndEncrypt.
    """
    quiet_libraries()  # asyncua's subscription notes are not the checks' results
    if not endpoint.startswith("opc.tcp://"):
        raise BadInput(
            f"{endpoint!r} is not an OPC UA endpoint",
            [Violation("endpoint", "expected opc.tcp://HOST:PORT")],
        )
    from pnp.sdk.conformance import CHECKS, UnknownCheck, check_module  # asyncua: on use
    from pnp.sdk.security import ClientCredentials

    unknown = [o for o in only if o not in CHECKS and ": " not in o]
    if unknown:
        raise BadInput(
            f"no such check: {', '.join(unknown)}",
            [
                Violation("--only", f"no such check: {o}; the checks are: {', '.join(CHECKS)}")
                for o in unknown
            ],
        )
    tls = TlsChoice(tls_dir, ca, cert, key).files_for(Identity(Role.ORCHESTRATOR, name))
    credentials = None if tls is None else ClientCredentials(tls.ca, tls.certificate, tls.key)
    try:
        results = run(
            check_module(
                endpoint,
                timeout=timeout,
                credentials=credentials,
                only=only or None,
                shuffle=None if shuffle is None else random.Random(shuffle),
            )
        )
    except UnknownCheck as error:  # a result name that names no skill of this module
        raise BadInput(str(error), [Violation("--only", str(error))]) from None
    failed = [r for r in results if not r.passed]
    if as_json:
        emit_json(
            {
                "endpoint": endpoint,
                "passed": not failed,
                "checks": [
                    {"name": r.name, "passed": r.passed, "detail": r.detail} for r in results
                ],
            }
        )
    else:
        table = Table(title=f"conformance of {endpoint}", title_justify="left")
        for column in ("check", "result", "detail"):
            table.add_column(column)
        for r in results:
            verdict = Text("pass", style="green") if r.passed else Text("FAIL", style="red")
            table.add_row(r.name, verdict, r.detail)
        console.print(table)
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
