"""``pnp history``: what actually ran, where and when (the recorded attempts)."""

from __future__ import annotations

import click
from rich.table import Table

from pnp.orchestrator.cli.app import CliContext, ask, cli, json_option
from pnp.orchestrator.cli.output import as_dict, console, duration_text, emit_json
from pnp.orchestrator.cli.view_rows import history_chart, live_module_ids, moment
from pnp.orchestrator.views import picture_format, write_gantt
from pnp.v1 import attempt_pb2


@cli.command()
@click.option("--order", "order_id", default="", metavar="ID", help="Only this order's attempts.")
@click.option(
    "--gantt",
    "gantt_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also draw the attempts as a Gantt chart: FILE.html (interactive page), .svg or .png. "
    "Failed or interrupted attempts are hatched with a red outline; running ones dotted.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the N attempts that started last. [default: every attempt]",
)
@json_option
@click.pass_obj
def history(
    obj: CliContext, order_id: str, gantt_file: str | None, limit: int | None, as_json: bool
) -> None:
    """Show every attempt at an operation: module, times, outcome (what really happened).

    An operation interrupted by a lost module is run again elsewhere: both attempts show.
    Oldest first; fetched a page at a time, newest first.
    """
    if gantt_file:
        picture_format(gantt_file, "--gantt")  # a bad name fails before any call

    async def fetch(client):
        response = await client.every_attempt(order_id, limit)
        modules = await client.list_modules() if gantt_file else []
        return response, modules

    response, modules = ask(obj, fetch)
    if gantt_file:
        chart = history_chart(
            response.attempts, response.factory_time, order_id, live_module_ids(modules)
        )
        write_gantt(chart, gantt_file, "--gantt")
    if as_json:
        emit_json(
            {
                "attempts": [as_dict(a) for a in response.attempts],
                "factory_time": as_dict(response)["factory_time"],
                **({"gantt": gantt_file} if gantt_file else {}),
            }
        )
        return
    console.print(attempts_table(response.attempts, response.factory_time))
    if gantt_file:
        console.print(f"Gantt chart written to {gantt_file}")


def attempts_table(attempts, factory_time) -> Table:
    table = Table(title=f"{len(attempts)} attempt(s)", title_justify="left")
    for column in ("operation", "module", "epoch", "state", "started", "took", "note"):
        table.add_column(column)
    for a in attempts:
        state = attempt_pb2.AttemptState.Name(a.state).removeprefix("ATTEMPT_STATE_").lower()
        end = a.ended_at if a.HasField("ended_at") else factory_time
        took = duration_text((moment(end) - moment(a.started_at)).total_seconds())
        table.add_row(
            a.operation_id,
            a.module_id,
            str(a.epoch),
            state,
            moment(a.started_at).strftime("%Y-%m-%d %H:%M:%SZ"),
            took + ("" if a.HasField("ended_at") else " so far"),
            a.error,
        )
    return table
