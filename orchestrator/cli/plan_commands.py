"""``pnp plan``: the current plan, per module."""

from __future__ import annotations

import click

from orchestrator.cli.client import OrchestratorClient
from orchestrator.cli.main import CliContext, cli, json_option, run
from orchestrator.cli.output import as_dict, console, emit_json, plan_table


@cli.command()
@click.option("--no-wait", is_flag=True, help="Show the latest plan even if a replan is under way.")
@json_option
@click.pass_obj
def plan(obj: CliContext, no_wait: bool, as_json: bool) -> None:
    """Show the current plan: which module does which operation when."""

    async def fetch():
        async with OrchestratorClient(obj.orchestrator, deadline=60) as client:
            return await client.get_plan(wait_for_current=not no_wait)

    current = run(fetch())
    if as_json:
        emit_json({"plan": as_dict(current)})
    else:
        console.print(plan_table(current))
