"""Maintenance before failure in the CLI::

pnp module health                                  health per module, proposals, windows
pnp module maintenance ID --from T --to T [--reason R]
pnp module maintenance ID --accept                 plan the module's proposed window
"""

from __future__ import annotations

import uuid
from datetime import UTC

import click
from rich.table import Table

from pnp.orchestrator.cli.app import CliContext, json_option
from pnp.orchestrator.cli.module_commands import module
from pnp.orchestrator.cli.output import as_dict, console, emit_json
from pnp.orchestrator.cli.twin_client import ask_twin
from pnp.orchestrator.cli.twin_commands import parse_time
from pnp.orchestrator.errors import BadInput, Violation


@module.command("health")
@json_option
@click.pass_obj
def health(obj: CliContext, as_json: bool) -> None:
    """Each module's health from its telemetry (1 as new .. 0 failing), the maintenance
    window proposed when it falls below the threshold, and the windows planned."""
    modules = ask_twin(obj, lambda twin: twin.module_health())
    if as_json:
        emit_json({"modules": [as_dict(m) for m in modules]})
        return
    table = Table(title="module health")
    for column in ("module", "health", "drifting", "executions", "proposed", "planned"):
        table.add_column(column)
    for m in modules:
        table.add_row(
            m.module_id,
            f"{m.score:.2f}" if m.scored else "learning",
            m.worst_feature if m.scored and m.anomaly > 0 else "",
            str(m.executions),
            _span(m.proposal) if m.HasField("proposal") else "",
            ", ".join(_span(w) for w in m.planned),
        )
    console.print(table)


@module.command("maintenance")
@click.argument("module_id")
@click.option("--from", "start", help="Window start (ISO-8601 with a zone).")
@click.option("--to", "end", help="Window end (ISO-8601 with a zone).")
@click.option("--reason", default="", help="Why (kept with the module's history).")
@click.option("--accept", is_flag=True, help="Plan the window the factory proposed.")
@click.option("--request-id", help="Makes a retry safe (default: a new id).")
@json_option
@click.pass_obj
def maintenance(
    obj: CliContext,
    module_id: str,
    start: str | None,
    end: str | None,
    reason: str,
    accept: bool,
    request_id: str | None,
    as_json: bool,
) -> None:
    """Plan a maintenance window for MODULE_ID: it takes no new work from --from to --to
    (work running then finishes first), and the plan moves work around it."""
    if accept == bool(start or end):
        raise BadInput(
            "give either --from and --to, or --accept",
            [Violation("--from/--to/--accept", "one of the two ways to name the window")],
        )
    if not accept and not (start and end):
        raise BadInput("a window needs --from and --to", [Violation("--to", "give both")])
    begin = parse_time(start, "--from") if start else None
    finish = parse_time(end, "--to") if end else None
    window = ask_twin(
        obj,
        lambda twin: twin.schedule_maintenance(
            module_id, begin, finish, reason, accept, request_id or f"maint-{uuid.uuid4()}"
        ),
    )
    if as_json:
        emit_json({"window": as_dict(window)})
    else:
        console.print(f"planned maintenance of {module_id}: {_span(window)} ({window.reason})")


def _span(window) -> str:
    start = window.start.ToDatetime(tzinfo=UTC).isoformat(timespec="minutes")
    end = window.end.ToDatetime(tzinfo=UTC).isoformat(timespec="minutes")
    return f"{start} .. {end}"
