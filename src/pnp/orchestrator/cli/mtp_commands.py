"""``pnp module import-mtp`` and ``pnp module run-mtp``: NAMUR MTP process modules.

The CLI is the composition root: this file (like ``module_commands``) reaches into
``pnp.mtp``; the rest of the orchestrator never imports it. See docs/mtp.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from pathlib import Path

import click
import grpc

from pnp.orchestrator.cli.app import CliContext, run
from pnp.orchestrator.cli.module_commands import module
from pnp.orchestrator.cli.output import console, emit_json, emit_json_line, errors
from pnp.orchestrator.cli.tls_options import TlsChoice, tls_options
from pnp.orchestrator.errors import BadInput, Conflict, PermissionDenied, Violation
from pnp.orchestrator.security.identities import Identity, Role

_FOOTPRINTS = ("ISO_10FT", "ISO_20FT", "ISO_40FT")
_MODULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def _pairs(option: str, values: tuple[str, ...], *, number: bool = False) -> dict:
    pairs: dict = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key or not text:
            raise BadInput(
                f"{option} {value!r}: expected KEY=VALUE",
                [Violation(option, f"{value!r} is not KEY=VALUE")],
            )
        if number:
            try:
                seconds = float(text)
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= 30 * 86400:
                raise BadInput(
                    f"{option} {value!r}: seconds must be a number 0..2592000",
                    [Violation(option, f"{text!r} is not a number of seconds")],
                )
            pairs[key] = seconds
        else:
            pairs[key] = text
    return pairs


def _naming_options(command):
    options = [
        click.option(
            "--map",
            "names",
            multiple=True,
            metavar="SERVICE=CAPABILITY | SERVICE.PARAM=NAME",
            help="pnp name of a service (default mtp.<service>) or of a parameter "
            "(default: its tag in snake case). Repeatable.",
        ),
        click.option(
            "--seconds",
            multiple=True,
            metavar="SERVICE=N",
            help="Factory seconds one run of SERVICE takes (the planner's estimate; MTP "
            "does not say). Repeatable.",
        ),
        click.option(
            "--setup-seconds", multiple=True, metavar="SERVICE=N", help="Set-up before a run."
        ),
        click.option("--vendor", default="", help="Vendor (default: the manifest's)."),
        click.option("--model", default="", help="Model (default: the PEA type's name)."),
        click.option(
            "--footprint",
            type=click.Choice(_FOOTPRINTS),
            default="ISO_20FT",
            show_default=True,
            help="The container size of the skid.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _describe_manifest(path: Path, names, seconds, setup_seconds, vendor, model, footprint):
    from pnp.mtp.caex import CaexError  # load on use
    from pnp.mtp.descriptor import DescriptorError, Naming, describe
    from pnp.mtp.manifest import read_manifest

    naming = Naming(
        names=_pairs("--map", names),
        seconds=_pairs("--seconds", seconds, number=True),
        setup_seconds=_pairs("--setup-seconds", setup_seconds, number=True),
        vendor=vendor,
        model=model,
        footprint=footprint,
    )
    try:
        return describe(read_manifest(path), naming)
    except CaexError as error:
        raise BadInput(
            f"{path} is not a usable MTP manifest",
            [Violation(error.element or "manifest", error.message, error.location)],
        ) from None
    except DescriptorError as error:
        raise BadInput(
            f"cannot describe {path} as a pnp module",
            [Violation(error.field or "manifest", error.message, str(path))],
        ) from None


@module.command("import-mtp")
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the descriptor YAML here (default: print it).",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@_naming_options
@click.option("--json", "as_json", is_flag=True, help="Print the descriptor and warnings as JSON.")
def import_mtp(
    manifest: Path,
    out: Path | None,
    force: bool,
    names,
    seconds,
    setup_seconds,
    vendor: str,
    model: str,
    footprint: str,
    as_json: bool,
) -> None:
    """Turn an MTP manifest (VDI/VDE/NAMUR 2658, AutomationML) into a pnp module descriptor.

    Each MTP service becomes a capability, its procedures' parameters (with ranges and
    units) the capability's parameters; the descriptor also binds every capability to
    the PEA's OPC UA variables, so `pnp module run-mtp` can drive it. Give durations
    with --seconds: the planner needs them and MTP does not state them.
    """
    from pnp.mtp.descriptor import to_yaml

    descriptor, warnings = _describe_manifest(
        manifest, names, seconds, setup_seconds, vendor, model, footprint
    )
    text = to_yaml(descriptor, warnings)
    if out is not None:
        if out.exists() and not force:
            raise Conflict(f"{out} exists; give --force to overwrite it")
        out.write_text(text, encoding="utf-8")
    if as_json:
        emit_json(
            {
                "descriptor": descriptor.model_dump(mode="json", by_alias=True),
                "warnings": warnings,
                "out": str(out) if out is not None else None,
            }
        )
        return
    if out is None:
        console.file.write(text)
    else:
        capabilities = ", ".join(s.capability for s in descriptor.spec.services)
        console.print(f"wrote {out}: {descriptor.metadata.name} ({capabilities})")
    for warning in warnings:
        errors.print(f"warning: {warning}", soft_wrap=True)


def _load_source(source: Path, naming_given: bool, naming_args):
    if source.suffix.lower() in {".yaml", ".yml"}:
        from pnp.mtp.descriptor import DescriptorError, from_yaml

        if naming_given:
            raise BadInput(
                "--map, --seconds, --vendor, --model and --footprint apply to a manifest; "
                f"edit the descriptor {source} instead",
                [
                    Violation(
                        "source",
                        "--map, --seconds, --vendor, --model and --footprint apply to a "
                        f"manifest; edit the descriptor {source} instead",
                    )
                ],
            )
        try:
            return from_yaml(source.read_text(encoding="utf-8"))
        except OSError as error:
            raise BadInput(f"cannot read {source}: {error.strerror}") from None
        except DescriptorError as error:
            raise BadInput(
                f"{source} is not a valid MTP module descriptor",
                [Violation(error.field or "descriptor", error.message, str(source))],
            ) from None
    descriptor, warnings = _describe_manifest(source, *naming_args)
    for warning in warnings:
        errors.print(f"warning: {warning}", soft_wrap=True)
    return descriptor


@module.command("run-mtp")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dock", required=True, help="The dock the PEA is plugged into.")
@click.option("--id", "module_id", default="", help="Module id (default: <pea type>-<dock>).")
@click.option(
    "--orchestrator",
    "orchestrator_address",
    metavar="HOST:PORT",
    default=None,
    help="Orchestrator address (default: pnp's --orchestrator).",
)
@click.option(
    "--endpoint",
    default=None,
    metavar="opc.tcp://HOST:PORT",
    help="The PEA's OPC UA server (default: the manifest's Endpoint).",
)
@click.option(
    "--opcua-port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the module's own OPC UA server (the pnp side; 0: any free port).",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Factory seconds per real second (match the orchestrator's).",
)
@click.option(
    "--pea-grace",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds a running service waits for a lost PEA to come back before it fails.",
)
@_naming_options
@click.option(
    "--json", "as_json", is_flag=True, help="Announce serving and registration as JSON lines."
)
@tls_options
@click.pass_obj
def run_mtp(
    obj: CliContext,
    source: Path,
    dock: str,
    module_id: str,
    orchestrator_address: str | None,
    endpoint: str | None,
    opcua_port: int,
    time_scale: float,
    pea_grace: float,
    names,
    seconds,
    setup_seconds,
    vendor: str,
    model: str,
    footprint: str,
    as_json: bool,
    tls_dir,
    ca,
    cert,
    key,
) -> None:
    """Plug a PEA into the factory: the POL role, for pnp.

    SOURCE is an MTP manifest (or a descriptor from import-mtp). The adapter connects
    to the PEA over OPC UA, registers it on DOCK like any module and serves pnp's
    module contract; pnp's skill commands run the PEA's services (procedure, parameters,
    Start, Completed, Reset). While the PEA is unreachable the module holds no session:
    pnp sees it lost and re-plans its work.
    """
    from pnp.mtp.adapter import PeaAdapter  # asyncua: load on use
    from pnp.sdk.security import ModuleSecurity

    if endpoint is not None and not endpoint.startswith("opc.tcp://"):
        raise BadInput(
            f"--endpoint {endpoint!r} is not an OPC UA endpoint",
            [
                Violation(
                    "endpoint", f"{endpoint!r} is not an OPC UA endpoint (opc.tcp://HOST:PORT)"
                )
            ],
        )
    naming_given = bool(names or seconds or setup_seconds or vendor or model)
    naming_given |= footprint != "ISO_20FT"
    descriptor = _load_source(
        source, naming_given, (names, seconds, setup_seconds, vendor, model, footprint)
    )
    resolved_id = module_id or _default_id(descriptor.metadata.name, dock)
    if not _MODULE_ID.match(resolved_id):
        raise BadInput(
            f"module id {resolved_id!r} is invalid",
            [Violation("id", "expected [a-z0-9][a-z0-9._-]{0,62}")],
        )
    tls = TlsChoice(tls_dir, ca, cert, key).files_for(Identity(Role.MODULE, resolved_id))
    security = None if tls is None else ModuleSecurity(tls.ca, tls.certificate, tls.key)
    adapter = PeaAdapter(
        descriptor,
        module_id=resolved_id,
        dock=dock,
        orchestrator=orchestrator_address or obj.orchestrator,
        endpoint=endpoint,
        opcua_port=opcua_port,
        time_scale=time_scale,
        pea_grace=pea_grace,
        security=security,
    )
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    run(_run_until_interrupted(adapter, as_json))


def _default_id(name: str, dock: str) -> str:
    text = re.sub(r"[^a-z0-9._-]+", "-", f"{name}-{dock}".lower()).strip("-._")
    return text[:63] or "pea"


async def _run_until_interrupted(adapter, as_json: bool) -> None:
    from pnp.mtp.adapter import PeaMismatch
    from pnp.sdk.session import RegistrationRefused

    task = asyncio.create_task(adapter.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)

    def say(line: dict, text: str) -> None:
        if as_json:
            emit_json_line(line)
        else:
            console.print(text, soft_wrap=True)
            console.file.flush()

    async def announce() -> None:
        module = adapter.module
        await module.serving.wait()
        say(
            {"module_id": module.module_id, "opcua_endpoint": module.endpoint},
            f"module {module.module_id} serving OPC UA at {module.endpoint}",
        )
        await adapter.gate.opened.wait()
        say(
            {"module_id": module.module_id, "pea_endpoint": adapter.pea.endpoint, "pea": "up"},
            f"module {module.module_id}: PEA {adapter.pea.endpoint} answers",
        )
        if adapter.client is None:
            return
        await adapter.client.registered.wait()
        epoch = adapter.client.registration.epoch
        say(
            {"module_id": module.module_id, "dock": module.dock, "epoch": epoch},
            f"module {module.module_id} (MTP {adapter.descriptor.metadata.name}) registered "
            f"on dock {module.dock}, epoch {epoch}",
        )

    announcer = asyncio.create_task(announce())
    try:
        await task
    except asyncio.CancelledError:
        errors.print(f"module {adapter.module_id} stopped")
    except PeaMismatch as mismatch:
        raise Conflict(f"module {adapter.module_id}: {mismatch}") from None
    except RegistrationRefused as refused:
        message = f"module {adapter.module_id} refused: {refused.message}"
        if refused.code is grpc.StatusCode.INVALID_ARGUMENT:
            raise BadInput(message) from None
        if refused.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
            raise PermissionDenied(message) from None
        raise Conflict(message) from None
    finally:
        announcer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await announcer
