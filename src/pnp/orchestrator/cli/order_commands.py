"""``pnp order ...`` and ``pnp orders``: submit recipe files, follow orders."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import click

from pnp.orchestrator.cli.app import CliContext, ask, cli, json_option
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.cli.output import (
    as_dict,
    console,
    emit_json,
    line_graph_dot,
    order_detail,
    orders_table,
    styled,
    unmatched_tree,
)
from pnp.orchestrator.cli.step_states import step_states
from pnp.orchestrator.cli.view_rows import line_picture
from pnp.orchestrator.domain.order_package import package_schema
from pnp.orchestrator.domain.recipe_loader import MAX_RECIPE_BYTES, load_recipe
from pnp.orchestrator.domain.yaml_source import read_text_capped
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.views import picture_format, write_line_picture
from pnp.orchestrator.views.formats import write_atomically


@cli.group()
def order() -> None:
    """Submit, show and cancel orders."""


@order.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--request-id",
    default=None,
    help="Idempotency key (one file only). Default: derived from the file's content, so "
    "running the same command again returns the same order instead of a duplicate.",
)
@click.option("--again", is_flag=True, help="Submit as a new order even if the same recipe was.")
@json_option
@click.pass_obj
def submit(
    obj: CliContext, files: tuple[str, ...], request_id: str | None, again: bool, as_json: bool
) -> None:
    """Submit recipe FILES as orders. Each is validated here first, then by the server."""
    if request_id and len(files) > 1:
        raise click.UsageError("--request-id applies to a single file")
    # Validate everything before sending anything: a bad file means nothing is submitted.
    texts = []
    for path in files:
        text = read_text_capped(Path(path), MAX_RECIPE_BYTES)
        load_recipe(text, path)
        texts.append((path, text))

    async def submit_all(client: OrchestratorClient):
        submitted = []
        for path, text in texts:
            key = request_id or (uuid.uuid4().hex if again else content_request_id(text))
            order = await client.submit_order(text, path, key)
            submitted.append(order)
            if not as_json:  # as each is stored, so a later failure hides nothing
                console.print(
                    styled(f"{path}: order ", (order.order_id, "bold"), f" ({order.name})")
                )
                if order.unmatched:
                    console.print(unmatched_tree(order.unmatched))
        return submitted

    orders = ask(obj, submit_all)
    if as_json:
        emit_json({"orders": [as_dict(o) for o in orders]})


def content_request_id(text: str) -> str:
    """A request id that is the same for the same recipe text (so retries are safe)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


@cli.command("orders")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the N most recently submitted orders. [default: every order]",
)
@json_option
@click.pass_obj
def list_orders(obj: CliContext, limit: int | None, as_json: bool) -> None:
    """List the orders, oldest first (fetched a page at a time, newest first)."""

    orders = ask(obj, lambda c: c.list_orders(limit))
    if as_json:
        emit_json({"orders": [as_dict(o) for o in orders]})
    else:
        console.print(orders_table(orders))


@order.command()
@click.argument("order_id")
@click.option(
    "--dot",
    "dot_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the order's line graph as Graphviz DOT to this file.",
)
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also draw the order's line over the factory floor: FILE.html, .svg or .png.",
)
@json_option
@click.pass_obj
def show(
    obj: CliContext, order_id: str, dot_file: str | None, graph_file: str | None, as_json: bool
) -> None:
    """Show one order: its steps, state, and its production line in the current plan.

    With --graph FILE, also draw the line: modules on their docks at their floor
    positions, material flow between them labelled with the transport time.
    """
    if graph_file:
        picture_format(graph_file, "--graph")  # a bad name fails before any call

    async def fetch(client: OrchestratorClient):
        response = await client.get_order(order_id)
        layout = await client.get_layout() if graph_file else None
        attempts = await client.list_attempts(order_id)
        current = await client.get_plan(wait_for_current=False)
        return response, layout, step_states(response.order, attempts, current)

    response, layout, steps = ask(obj, fetch)
    if graph_file:
        picture = line_picture(order_id, response.line_graph, layout)
        write_line_picture(picture, graph_file, "--graph")
    if dot_file:
        try:
            Path(dot_file).write_text(line_graph_dot(response.line_graph), encoding="utf-8")
        except OSError as error:
            raise BadInput(
                f"cannot write {dot_file}: {error.strerror}",
                [Violation("--dot", f"cannot write {dot_file}: {error.strerror}")],
            ) from None
    if as_json:
        emit_json(
            {
                "order": as_dict(response.order),
                "steps": [step.as_dict() for step in steps],
                "line_graph": as_dict(response.line_graph),
                **({"graph": graph_file} if graph_file else {}),
            }
        )
    else:
        console.print(order_detail(response.order, response.line_graph, steps))
        if graph_file:
            console.print(f"line picture written to {graph_file}")


@order.command()
@click.argument("order_id")
@json_option
@click.pass_obj
def cancel(obj: CliContext, order_id: str, as_json: bool) -> None:
    """Cancel an open order (it is aborted and leaves the plan)."""

    cancelled = ask(obj, lambda c: c.cancel_order(order_id, uuid.uuid4().hex))
    if as_json:
        emit_json({"order": as_dict(cancelled)})
    else:
        console.print(f"order {cancelled.order_id} cancelled")


@order.command("export")
@click.argument("order_id")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the package (JSON). Written whole or not at all.",
)
@json_option
@click.pass_obj
def export(obj: CliContext, order_id: str, out_file: str, as_json: bool) -> None:
    """Write ORDER_ID's data package: the order and recipe, its line graph, and every
    operation's attempts with module identity, times, parameters, results and a
    telemetry summary. `pnp order package-schema` prints the JSON Schema it follows."""

    package = write_package(ask(obj, lambda c: c.export_order_data(order_id)), out_file, "--out")
    summary = {
        "order_id": order_id,
        "file": out_file,
        "operations": len(package["operations"]),
        "attempts": sum(len(op["attempts"]) for op in package["operations"]),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"wrote {out_file}: order {order_id}, {summary['operations']} operations, "
            f"{summary['attempts']} attempts"
        )


def write_package(package_json: str, path: str | Path, option: str) -> dict:
    """Writes an order data package (as ExportOrderData returns it) indented for
    people, whole or not at all; returns it parsed."""
    package = json.loads(package_json)
    readable = json.dumps(package, indent=2) + "\n"
    write_atomically(path, lambda target: target.write_text(readable, encoding="utf-8"), option)
    return package


@order.command("package-schema")
def package_schema_command() -> None:
    """Print the JSON Schema of order data packages (`pnp order export`)."""
    click.echo(json.dumps(package_schema(), indent=2))
