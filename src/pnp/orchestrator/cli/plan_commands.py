"""``pnp plan``: the current plan, per module."""

from __future__ import annotations

import click

from pnp.orchestrator.cli.app import CliContext, ask, cli, json_option
from pnp.orchestrator.cli.output import as_dict, console, emit_json, plan_table
from pnp.orchestrator.cli.view_rows import live_module_ids, plan_chart, plan_end_seconds
from pnp.orchestrator.cli.what_if_view import compare, what_if_table
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.views import picture_format, write_gantt

gantt_option = click.option(
    "--gantt",
    "gantt_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also draw the plan as a Gantt chart: FILE.html (interactive page), .svg or .png.",
)


@cli.group(invoke_without_command=True)
@click.option("--no-wait", is_flag=True, help="Show the latest plan even if a replan is under way.")
@gantt_option
@json_option
@click.pass_context
def plan(ctx: click.Context, no_wait: bool, gantt_file: str | None, as_json: bool) -> None:
    """Show the current plan: which module does which operation when.

    With --gantt FILE, also draw it: one lane per module, one bar per operation,
    coloured by order, on factory time from the plan's origin.
    """
    if ctx.invoked_subcommand is not None:
        return
    if gantt_file:
        picture_format(gantt_file, "--gantt")  # a bad name fails before any call

    async def fetch(client):
        current = await client.get_plan(wait_for_current=not no_wait, deadline=60)
        modules = await client.list_modules() if gantt_file else []
        return current, modules

    obj: CliContext = ctx.obj
    current, modules = ask(obj, fetch, deadline=60)
    if gantt_file:
        write_gantt(plan_chart(current, live_module_ids(modules)), gantt_file, "--gantt")
    if as_json:
        emit_json({"plan": as_dict(current), **({"gantt": gantt_file} if gantt_file else {})})
        return
    console.print(plan_table(current))
    if gantt_file:
        console.print(f"Gantt chart written to {gantt_file}")


@plan.command("what-if")
@click.option(
    "--without",
    "without",
    multiple=True,
    metavar="MODULE_ID",
    help="Take this module out of the copy (repeatable).",
)
@click.option(
    "--with",
    "with_",
    multiple=True,
    metavar="KIND@DOCK",
    help="Add a module on a dock (repeatable): a copy of a registered module of that "
    "kind, else the catalog's kind.",
)
@click.option(
    "--gantt-before",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Draw the current floor's plan as a Gantt chart (.html, .svg or .png).",
)
@click.option(
    "--gantt-after",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Draw the what-if plan as a Gantt chart, on the same time axis as --gantt-before.",
)
@json_option
@click.pass_obj
def what_if(
    obj: CliContext,
    without: tuple[str, ...],
    with_: tuple[str, ...],
    gantt_before: str | None,
    gantt_after: str | None,
    as_json: bool,
) -> None:
    """Replan a copy of the factory without or with modules, and compare side by side.

    Both plans are made now from the same orders: the current floor's and the changed
    floor's. The live plan and the floor are not touched.
    """
    for option, path in (("--gantt-before", gantt_before), ("--gantt-after", gantt_after)):
        if path:
            picture_format(path, option)  # a bad name fails before any call
    if not without and not with_:
        raise click.UsageError("give --without MODULE_ID and/or --with KIND@DOCK")
    for spec in with_:
        _kind_and_dock(spec)  # a malformed one fails before any call

    async def fetch(client):
        registered = {m.descriptor.kind for m in await client.list_modules()}
        copies, descriptors = _added_modules(with_, registered)
        return await client.what_if(without, copies, descriptors)

    answer = ask(obj, fetch, deadline=120)
    _draw_what_if(answer, gantt_before, gantt_after)
    rows = compare(answer.current_kpis, answer.alternative_kpis, answer.current, answer.alternative)
    if as_json:
        emit_json(
            {
                "current": as_dict(answer.current_kpis),
                "alternative": as_dict(answer.alternative_kpis),
                "comparison": [row.as_dict() for row in rows],
                "current_plan": as_dict(answer.current),
                "alternative_plan": as_dict(answer.alternative),
            }
        )
        return
    change = ", ".join([*(f"without {m}" for m in without), *(f"with {w}" for w in with_)])
    console.print(what_if_table(rows, change))
    for path in (gantt_before, gantt_after):
        if path:
            console.print(f"Gantt chart written to {path}")


def _draw_what_if(answer, before: str | None, after: str | None) -> None:
    # One time axis for both, so the eye compares lengths, not tick labels.
    until = max(plan_end_seconds(answer.current), plan_end_seconds(answer.alternative))
    lanes = sorted(
        {a.module_id for p in (answer.current, answer.alternative) for a in p.assignments}
    )
    for path, plan, label, option in (
        (before, answer.current, "current plan", "--gantt-before"),
        (after, answer.alternative, "what-if plan", "--gantt-after"),
    ):
        if path:
            chart = plan_chart(plan, lanes, label=label, allow_empty=True, until=until)
            write_gantt(chart, path, option)


def _kind_and_dock(spec: str) -> tuple[str, str]:
    kind, _, dock = spec.partition("@")
    if not kind or not dock:
        raise BadInput(f"{spec!r} is not KIND@DOCK", [Violation("--with", spec)])
    return kind, dock


def _added_modules(specs, registered_kinds: set[str]):
    """KIND@DOCK each: a registered kind is copied by the orchestrator from the module
    on the floor (its real envelope and time model), any other is the catalog's."""
    copies = [spec for spec in specs if _kind_and_dock(spec)[0] in registered_kinds]
    descriptors = [_catalog_module(spec, registered_kinds) for spec in specs if spec not in copies]
    return copies, descriptors


def _catalog_module(spec: str, registered_kinds: set[str]):
    # The CLI is the composition root: it may read the simulator's catalog.
    from pnp.sdk.catalog import UnknownKind, load_catalog
    from pnp.sdk.descriptors import to_proto

    kind, dock = _kind_and_dock(spec)
    try:
        module_type = load_catalog().module_type(kind)
    except UnknownKind as unknown:
        on_floor = ", ".join(sorted(registered_kinds)) or "none"
        message = f"{unknown}; kinds registered on the floor: {on_floor}"
        raise BadInput(message, [Violation("--with", message)]) from None
    module_id = f"what-if-{kind}-{dock}".lower()
    return to_proto(module_type, module_id=module_id, dock=dock, serial="what-if", kind=kind)
