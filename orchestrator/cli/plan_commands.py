"""``pnp plan``: the current plan, per module."""

from __future__ import annotations

import click

from orchestrator.cli.main import CliContext, ask, cli, json_option
from orchestrator.cli.output import as_dict, console, emit_json, plan_table


@cli.command()
@click.option("--no-wait", is_flag=True, help="Show the latest plan even if a replan is under way.")
@json_option
@click.pass_obj
def plan(obj: CliContext, no_wait: bool, as_json: bool) -> None:
    """Show the current plan: which module does which operation when."""

    current = ask(obj, lambda c: c.get_plan(wait_for_current=not no_wait), deadline=60)
    if as_json:
        emit_json({"plan": as_dict(current)})
    else:
        console.print(plan_table(current))
