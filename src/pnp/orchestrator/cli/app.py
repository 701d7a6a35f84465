"""The ``pnp`` command group, its global options, and what every command shares.

Command modules (``*_commands.py``, ``demo``, ``serve``) import ``cli`` from here and
register themselves on it; ``main`` imports them all and runs the group. Keeping the
group apart from ``main`` means no command module imports the module that imports it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import click

from pnp.orchestrator.cli.client import ENV_ORCHESTRATOR, orchestrator_address
from pnp.orchestrator.cli.logs import route_logs
from pnp.orchestrator.cli.tls_options import ENV_PLANNER, TlsChoice, tls_options
from pnp.orchestrator.security.tls_files import TlsFiles

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True)
class CliContext:
    orchestrator: str
    tls: TlsChoice = field(default_factory=TlsChoice)
    planner: str | None = None

    def client_tls(self) -> TlsFiles | None:
        """The planner's TLS files, or None for plain text (looked up only when needed)."""
        return self.tls.planner_files(self.planner)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def run(coroutine):
    """Runs one command's async work to completion."""
    return asyncio.run(coroutine)


def quiet_libraries(verbose: bool = False, log_file: Path | None = None) -> None:
    """Logs for people on the terminal, the libraries' chatter only with -v or in
    ``log_file`` (``cli.logs``)."""
    route_logs(verbose, log_file)


def ask(obj: CliContext, call, deadline: float | None = None):
    """Opens a client to the orchestrator, awaits ``call(client)``, and returns its result."""
    from pnp.orchestrator.cli.client import DEFAULT_DEADLINE, OrchestratorClient

    async def session():
        async with OrchestratorClient(
            obj.orchestrator, deadline or DEFAULT_DEADLINE, tls=obj.client_tls()
        ) as client:
            return await call(client)

    return run(session())


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--orchestrator",
    metavar="HOST:PORT[,HOST:PORT...]",
    default=None,
    help=f"Orchestrator address, or the replicas' addresses: the leader is found among them "
    f"(default: ${ENV_ORCHESTRATOR} or 127.0.0.1:50051; no port means 50051).",
)
@tls_options
@click.option(
    "--planner",
    envvar=ENV_PLANNER,
    help=f"Which planner certificate of --tls-dir to use (${ENV_PLANNER}; default: the only one).",
)
@click.version_option(package_name="pnp-factory", prog_name="pnp")
@click.pass_context
def cli(
    ctx: click.Context, orchestrator: str | None, tls_dir, ca, cert, key, planner: str | None
) -> None:
    """pnp: plug-and-produce orchestrator for modular factories.

    Modules plug in and register over gRPC, orders arrive as recipe files, and a CP-SAT
    planner assembles a production line per order. With --tls-dir (or $PNP_TLS_DIR)
    every call uses mutual TLS with a planner certificate from the factory PKI.
    """
    ctx.obj = CliContext(
        orchestrator=orchestrator_address(orchestrator),
        tls=TlsChoice(tls_dir, ca, cert, key),
        planner=planner,
    )
