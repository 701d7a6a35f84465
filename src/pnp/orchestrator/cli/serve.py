"""``pnp serve``: the orchestrator (mutual TLS with --tls-dir, or plain text, loudly)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pnp.orchestrator.cli.app import EXIT_OK, cli, quiet_libraries, run
from pnp.orchestrator.cli.interrupts import GracefulStop
from pnp.orchestrator.cli.output import console, emit_json_line, errors
from pnp.orchestrator.cli.tls_options import TlsChoice, tls_options
from pnp.orchestrator.cli.web_options import WebOptions, check_web_address, web_insecure_option
from pnp.orchestrator.domain.layout import Layout, load_layout_file
from pnp.orchestrator.errors import BadInput, Deposed, Violation
from pnp.orchestrator.security.endpoints import parse_networks
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.tls_files import DEFAULT_ORCHESTRATOR_NAME, TlsFiles
from pnp.orchestrator.service.settings import FactorySettings

if TYPE_CHECKING:
    from pnp.orchestrator.domain.attempts import Attempt
    from pnp.orchestrator.store.engines import Database
    from pnp.orchestrator.web.server import RunningConsole


@cli.command()
@click.option(
    "--db",
    "db_path",
    default="pnp.db",
    show_default=True,
    metavar="PATH|URL",
    help="SQLite database file (created when missing), or postgresql://USER@HOST:PORT/DB "
    "for replicated orchestrators (password from PNP_DB_PASSWORD, PGPASSWORD or "
    "--db-password-file, never in the URL).",
)
@click.option(
    "--db-password-file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the PostgreSQL password.",
)
@click.option(
    "--standby/--no-standby",
    default=None,
    help="When another orchestrator leads on this database: wait as a standby (answering "
    "clients with the leader's address) and take over when its lease runs out, or refuse "
    "to start. [default: standby on PostgreSQL, refuse on SQLite]",
)
@click.option(
    "--advertise",
    default=None,
    metavar="HOST:PORT",
    help="The address other replicas send clients to [default: --listen, with its port].",
)
@click.option(
    "--leader-lease-ttl",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds the leader lease lasts without renewal (a standby takes over after it).",
)
@click.option(
    "--leader-renew-every",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds between the leader's lease renewals (below half the TTL).",
)
@click.option(
    "--listen",
    default="127.0.0.1:50051",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve gRPC on; port 0 picks a free port.",
)
@click.option(
    "--layout",
    "layout_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Factory layout (docks, utility limits, transport links).",
)
@click.option(
    "--module-networks",
    default=None,
    metavar="CIDR,...",
    help="Networks module OPC UA endpoints may live in [default: the layout's "
    "module_networks, else loopback and the private ranges]. Link-local "
    "(169.254.0.0/16, fe80::/10) only when named.",
)
@click.option(
    "--heartbeat-interval",
    default=0.5,
    show_default=True,
    help="Seconds between module heartbeats.",
)
@click.option(
    "--lease-ttl",
    default=2.0,
    show_default=True,
    help="Seconds without heartbeat before a module is lost.",
)
@click.option(
    "--solve-time-limit",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds each replan may take.",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Factory seconds per real second (simulation); match the modules' --time-scale.",
)
@tls_options
@click.option(
    "--name",
    default=DEFAULT_ORCHESTRATOR_NAME,
    show_default=True,
    help="Which orchestrator certificate of --tls-dir to use.",
)
@click.option(
    "--web",
    metavar="[HOST:]PORT",
    default=None,
    help="Also serve the planner's live web console there: HTTPS with certificates and "
    "roles under --tls-dir, else plain HTTP on loopback only.",
)
@web_insecure_option
@click.option("-v", "--verbose", is_flag=True, help="Log what the orchestrator decides.")
@click.option(
    "--json", "as_json", is_flag=True, help="Announce the address as one JSON line on stdout."
)
def serve(
    db_path: str,
    db_password_file: Path | None,
    standby: bool | None,
    advertise: str | None,
    leader_lease_ttl: float,
    leader_renew_every: float,
    listen: str,
    layout_path: str | None,
    module_networks: str | None,
    heartbeat_interval: float,
    lease_ttl: float,
    solve_time_limit: float,
    time_scale: float,
    tls_dir: Path | None,
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
    name: str,
    web: str | None,
    web_insecure: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Run the orchestrator: module registry, order intake and planner, on one gRPC port.

    With --tls-dir (or --ca/--cert/--key) it serves mutual TLS only: modules act only as
    the module in their certificate, planner calls need a planner certificate, and the
    OPC UA links to modules use SignAndEncrypt with the orchestrator's certificate.

    One orchestrator leads on a database at a time. On PostgreSQL, start the same command
    on a second machine: it stands by and takes over when the leader dies or stalls.
    """
    quiet_libraries(verbose)
    if heartbeat_interval <= 0 or lease_ttl <= heartbeat_interval:
        raise click.BadParameter("need 0 < --heartbeat-interval < --lease-ttl")
    if not leader_renew_every < leader_lease_ttl / 2:
        raise click.BadParameter("need --leader-renew-every < --leader-lease-ttl / 2")
    # Imported here: the store pulls in SQLAlchemy, and every other command should start
    # fast.
    from pnp.orchestrator.store.engines import database_target

    database = database_target(db_path, password_file=db_password_file)
    replica = ReplicaOptions(
        lease_ttl=leader_lease_ttl,
        renew_every=leader_renew_every,
        standby=database.is_postgres if standby is None else standby,
        advertise=advertise,
    )
    layout = load_layout_file(layout_path) if layout_path else None
    networks = None
    if module_networks is not None:
        networks = tuple(n.strip() for n in module_networks.split(",") if n.strip())
        if not networks:
            raise BadInput(
                "--module-networks is empty",
                [Violation("--module-networks", "name at least one CIDR network")],
            )
        parse_networks(networks, "--module-networks")  # a bad one is refused before start
    check_web_address(web, secured=TlsChoice(tls_dir, ca, cert, key).wanted, insecure=web_insecure)
    tls = TlsChoice(tls_dir, ca, cert, key).files_for(Identity(Role.ORCHESTRATOR, name))
    settings = FactorySettings(
        heartbeat_interval=heartbeat_interval,
        lease_ttl=lease_ttl,
        solve_time_limit=solve_time_limit,
        time_scale=time_scale,
        # The orchestrator's gRPC certificate doubles as its OPC UA client certificate.
        opcua_security=tls,
        module_networks=networks,
    )
    web_options = WebOptions(web, web_insecure) if web else None
    run(_serve(database, listen, layout, settings, as_json, tls, web_options, replica))


@dataclass(frozen=True)
class ReplicaOptions:
    lease_ttl: float = 5.0
    renew_every: float = 1.0
    standby: bool = False
    advertise: str | None = None


async def _serve(
    db_path: Database,
    listen: str,
    layout: Layout | None,
    settings: FactorySettings,
    as_json: bool,
    tls: TlsFiles | None,
    web: WebOptions | None = None,
    replica: ReplicaOptions = ReplicaOptions(),
) -> None:
    # Before anything is served (let alone announced): a signal from then on stops
    # gracefully, a second one forces the process out.
    stop = GracefulStop(
        "pnp orchestrator: stop forced by a second signal; the next start recovers as after a crash"
    )
    stop.install()

    def standing_by(address: str) -> None:
        if as_json:
            emit_json_line({"standby": address, "database": str(db_path)})
        else:
            console.print(
                f"pnp orchestrator standing by on {address} (database {db_path}): another "
                "leads; taking over when its lease runs out",
                soft_wrap=True,
            )
            console.file.flush()

    leads = asyncio.Event()  # set once it leads: from then on, a stop is _lead's own
    leading = asyncio.ensure_future(
        _lead(
            db_path, listen, layout, settings, as_json, tls, web, replica, standing_by, stop, leads
        )
    )
    waiting = asyncio.ensure_future(stop.requested.wait())
    await asyncio.wait({leading, waiting}, return_when=asyncio.FIRST_COMPLETED)
    left_running: list[Attempt] = []
    if not leading.done() and not leads.is_set():  # stopped while standing by or starting
        leading.cancel()
        await asyncio.gather(leading, return_exceptions=True)
    else:
        waiting.cancel()
        deposed_because, left_running = await leading
        if deposed_because:
            raise Deposed(f"stepped down: {deposed_because}")
    _say_stopped(db_path, left_running, as_json)
    _exit_without_waiting_for_threads()


async def _lead(
    db_path: Database,
    listen: str,
    layout: Layout | None,
    settings: FactorySettings,
    as_json: bool,
    tls: TlsFiles | None,
    web: WebOptions | None,
    replica: ReplicaOptions,
    standing_by,
    stop: GracefulStop,
    leads: asyncio.Event,
) -> tuple[str, list[Attempt]]:
    """Leads until stopped (returns "" and the attempts it left in flight) or deposed
    (returns why)."""
    # Imported here, not at the top: the server pulls in OR-Tools, and every other
    # command should start fast.
    from pnp.orchestrator.api.runtime import open_orchestrator
    from pnp.orchestrator.store.lease_keeper import LeaseSettings
    from pnp.orchestrator.web.server import start_console

    async with open_orchestrator(
        db_path,
        listen=listen,
        layout=layout,
        settings=settings,
        tls=tls,
        lease=LeaseSettings(ttl=replica.lease_ttl, renew_every=replica.renew_every),
        standby=replica.standby,
        advertise=replica.advertise,
        on_standby=standing_by,
    ) as orchestrator:
        stop.at_once(orchestrator.halt)
        leads.set()
        web_console = (
            await start_console(orchestrator.factory, web.listen, tls=tls, insecure=web.insecure)
            if web
            else None
        )
        try:
            # Everything loaded so far lives as long as the server: keep it out of the
            # cyclic garbage collector's full passes, which otherwise pause heartbeats
            # for 100 ms.
            gc.collect()
            gc.freeze()
            _announce(
                db_path, listen, orchestrator.port, layout, as_json, tls, web_console,
                orchestrator.term,
            )  # fmt: skip
            await asyncio.wait(
                {
                    asyncio.ensure_future(stop.requested.wait()),
                    asyncio.ensure_future(orchestrator.deposed.wait()),
                },
                return_when=asyncio.FIRST_COMPLETED,
            )
            if orchestrator.deposed.is_set():
                # Stop serving at once: another replica leads now.
                errors.print(f"error: {orchestrator.deposed_because or 'deposed'}; stepping down")
        finally:
            if web_console:
                await web_console.stop()
    await asyncio.sleep(0)  # the reason is noted by a task of the runtime
    if orchestrator.deposed.is_set() and orchestrator.deposed_because:
        return orchestrator.deposed_because, []
    # Not deposed, or deposed during the stop with no reason noted: a stop, listed as one.
    # Halted before the rest stopped: what was in flight then is what the store keeps.
    return "", orchestrator.in_flight()


def _say_stopped(db_path: Database, left_running: list[Attempt], as_json: bool) -> None:
    """What a graceful stop left running: one line per attempt, or one JSON object."""
    if as_json:
        emit_json_line(
            {
                "stopped": True,
                "database": str(db_path),
                "left_running": [
                    {
                        "order_id": attempt.order_id,
                        "operation_id": attempt.operation_id,
                        "module_id": attempt.module_id,
                        "execution_id": attempt.execution_id,
                        "state": attempt.state.value,
                    }
                    for attempt in left_running
                ],
            }
        )
    else:
        for attempt in left_running:
            console.print(
                f"left running: {_operation(attempt)} on {attempt.module_id} as "
                f"{attempt.execution_id} ({attempt.state.value})",
                soft_wrap=True,
            )
        console.file.flush()
    if left_running:
        count = len(left_running)
        errors.print(
            f"pnp orchestrator stopped: {count} attempt{'s' if count > 1 else ''} left "
            "running; the next start asks their modules about them",
            soft_wrap=True,
        )
    else:
        errors.print("pnp orchestrator stopped")


def _exit_without_waiting_for_threads() -> None:
    """Everything is stopped, stored, checkpointed and said: the process ends now, 0.

    Leaving normally would wait for every worker thread, and a replan running in one
    (the first after a start runs in a thread, not in a solver process) cannot be
    interrupted: its plan is no longer wanted, yet it would hold the exit for up to
    --solve-time-limit, beyond the 5 s a stop may take."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(EXIT_OK)


def _operation(attempt: Attempt) -> str:
    """order/operation: an operation's id names its order already (``ord-00001/weld``)."""
    if attempt.operation_id.startswith(f"{attempt.order_id}/"):
        return attempt.operation_id
    return f"{attempt.order_id}/{attempt.operation_id}"


def _announce(
    db_path: Database,
    listen: str,
    port: int,
    layout: Layout | None,
    as_json: bool,
    tls: TlsFiles | None,
    web_console: RunningConsole | None,
    term: int = 0,
) -> None:
    host = listen.rsplit(":", 1)[0]
    if tls is None:
        errors.print(
            "warning: serving WITHOUT TLS: any process that can reach this port may act "
            "as a module or a planner, and OPC UA to modules runs without security. Use "
            "this only for local development; see `pnp pki` and --tls-dir.",
            soft_wrap=True,
        )
    if layout is None:
        errors.print(
            "warning: no --layout: any dock is accepted, without utility limits "
            "or transport times.",
            soft_wrap=True,
        )
    if as_json:
        emit_json_line(
            {
                "listening": f"{host}:{port}",
                "database": str(db_path),
                "tls": tls is not None,
                "term": term,
            }
            | ({"web": web_console.url} if web_console else {})
        )
    else:
        security = "mutual TLS" if tls else "NO TLS"
        console.print(
            f"pnp orchestrator listening on {host}:{port} ({security}, database {db_path}, "
            f"leader at term {term})",
            soft_wrap=True,
        )
        if web_console:
            console.print(f"web console on {web_console.url} ({web_console.exposure})")
        console.file.flush()  # scripts and tests wait for this line to learn the port
