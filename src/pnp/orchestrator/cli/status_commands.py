"""``pnp status``: the factory at a glance (modules, orders, recent events), once or
live with ``--watch`` until Ctrl-C."""

from __future__ import annotations

import asyncio
import collections
import contextlib

import click
import grpc
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.api.status_snapshot import FactoryStatus, factory_status
from pnp.orchestrator.cli.app import CliContext, cli, json_option, run
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.cli.interrupts import until_interrupted
from pnp.orchestrator.cli.json_style import words
from pnp.orchestrator.cli.output import (
    console,
    drain_note,
    duration_text,
    emit_json,
    emit_json_line,
    styled,
)
from pnp.orchestrator.cli.twin_client import health_scores

EVENTS_SHOWN = 8
QUIET_SECONDS = 0.3  # replaying the event log: it is all there once it goes quiet


@cli.command()
@click.option("--watch", "-w", is_flag=True, help="Keep refreshing in place until Ctrl-C.")
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    metavar="S",
    help="Seconds between refreshes with --watch.",
)
@click.option(
    "--events",
    "events_shown",
    default=EVENTS_SHOWN,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many recent events to show.",
)
@json_option
@click.pass_obj
def status(obj: CliContext, watch: bool, interval: float, events_shown: int, as_json: bool) -> None:
    """Show modules (state, current operation, progress, lease, draining), orders
    (operations done, ETA against due time, late) and the latest events.

    With --json: one JSON document (with --watch, one per line and refresh).
    """
    work = _status(obj.orchestrator, watch, interval, events_shown, as_json)
    # Ctrl-C (or SIGTERM) is how a watch ends: not an error.
    run(until_interrupted(work) if watch else work)


async def _status(address: str, watch: bool, interval: float, shown: int, as_json: bool) -> None:
    async with OrchestratorClient(address) as client:
        tail: collections.deque = collections.deque(maxlen=shown)
        if not watch:
            await _read_events(client, tail, follow=False)
            snapshot = await snapshot_of(client, list(tail))
            if as_json:
                emit_json(status_json(snapshot))
            else:
                console.print(render(snapshot))
            return
        follower = asyncio.create_task(_read_events(client, tail, follow=True))
        try:
            await _watch(client, tail, interval, as_json, follower)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


def status_json(snapshot: FactoryStatus) -> dict:
    """The snapshot by the CLI's JSON convention: order states in words, as every enum."""
    document = snapshot.as_dict()
    for order in document["orders"]:
        order["state"] = words(order["state"])
    return document


async def _watch(client, tail, interval: float, as_json: bool, follower) -> None:
    if as_json:
        while True:
            emit_json_line(status_json(await snapshot_of(client, list(tail))))
            await _pause(interval, follower)
    if not console.is_terminal:
        # Piped (a log, `| tee`): rich.Live would only print when it stops, so print each
        # refresh in turn instead.
        while True:
            console.print(render(await snapshot_of(client, list(tail))))
            console.file.flush()
            await _pause(interval, follower)
    with Live(console=console, auto_refresh=False, transient=False) as live:
        while True:
            live.update(render(await snapshot_of(client, list(tail))), refresh=True)
            await _pause(interval, follower)


async def _pause(interval: float, follower: asyncio.Task) -> None:
    if follower.done():
        follower.result()  # the event stream failed: say why instead of showing stale data
    await asyncio.sleep(interval)


async def snapshot_of(client: OrchestratorClient, events) -> FactoryStatus:
    modules, orders, plan, attempts, health = await asyncio.gather(
        client.list_modules_response(),
        client.open_and_recent_orders(),
        client.get_plan(wait_for_current=False),
        client.list_attempts_response(),
        health_scores(client),
    )
    return factory_status(modules, orders, plan, attempts, events, health)


async def _read_events(client: OrchestratorClient, tail, follow: bool) -> None:
    """Replays the latest events into ``tail`` (as many as it keeps); follows the log
    when asked."""
    stream = client.watch_events(0, tail=tail.maxlen or 0)  # not the whole log
    try:
        while True:
            if follow:
                response = await stream.read()
            else:
                try:
                    response = await asyncio.wait_for(stream.read(), QUIET_SECONDS)
                except TimeoutError:
                    return
            if response is grpc.aio.EOF:
                return
            tail.append(response.event)
    except grpc.aio.AioRpcError as error:
        if error.code() is grpc.StatusCode.CANCELLED:
            return
        raise error_from_rpc(error) from None
    finally:
        stream.cancel()


# -- rendering ----------------------------------------------------------------------------


def render(snapshot: FactoryStatus) -> Group:
    header = styled(
        ("factory time ", "dim"),
        (f"{snapshot.factory_time:%Y-%m-%d %H:%M:%SZ}", "bold"),
        ("  plan ", "dim"),
        f"v{snapshot.plan_version} ({snapshot.plan_status})",
    )
    return Group(header, modules_table(snapshot), orders_table(snapshot), events_table(snapshot))


def modules_table(snapshot: FactoryStatus) -> Table:
    table = Table(title=f"{len(snapshot.modules)} module(s)", title_justify="left")
    columns = ("module", "dock", "liveness", "state", "operation", "progress", "lease", "health")
    for column in columns:
        table.add_column(column, justify="left" if column in columns[:5] else "right")
    for m in snapshot.modules:
        liveness = Text(m.liveness, style="green" if m.liveness == "alive" else "red")
        liveness.append(drain_note(m.draining, m.released), style="yellow")
        table.add_row(
            m.module_id,
            m.dock,
            liveness,
            m.state,
            m.operation_id or "-",
            _bar(m.progress) if m.progress is not None else "-",
            f"{m.lease_left_seconds:.1f} s" if m.liveness != "gone" else "-",
            _health(m.health),
        )
    return table


def _health(score: float | None) -> Text:
    if score is None:
        return Text("-", style="dim")
    return Text(
        f"{score:.2f}", style="green" if score >= 0.8 else "yellow" if score >= 0.5 else "red"
    )


def _bar(share: float, width: int = 10) -> str:
    filled = round(share * width)
    return "#" * filled + "." * (width - filled) + f" {share:4.0%}"


def orders_table(snapshot: FactoryStatus) -> Table:
    table = Table(title=f"{len(snapshot.orders)} order(s)", title_justify="left")
    for column in ("order", "name", "state", "done", "ETA", "due", "slack"):
        table.add_column(column, justify="right" if column in ("done", "slack") else "left")
    for o in snapshot.orders:
        slack = o.slack_seconds
        table.add_row(
            o.order_id,
            o.name,
            o.state,
            f"{o.operations_done}/{o.operations_total}",
            f"{o.eta:%m-%d %H:%M}" if o.eta else "-",
            f"{o.due:%m-%d %H:%M}" if o.due else "-",
            Text(
                "-" if slack is None else ("late " if o.late else "") + _signed(slack),
                style="bold red" if o.late else "green",
            ),
        )
    return table


def _signed(seconds: float) -> str:
    return ("-" if seconds < 0 else "+") + duration_text(abs(seconds))


def events_table(snapshot: FactoryStatus) -> Table:
    table = Table(title="latest events", title_justify="left")
    for column in ("#", "time", "kind", "subject", "message"):
        table.add_column(column)
    for e in snapshot.events:
        table.add_row(str(e.sequence), f"{e.time:%H:%M:%S}", e.kind, e.subject, e.message)
    return table
