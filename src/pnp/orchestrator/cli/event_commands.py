"""``pnp events``: the orchestrator's event log, and ``--follow`` to watch it live."""

from __future__ import annotations

import asyncio
from datetime import UTC

import click
import grpc

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.cli.app import CliContext, cli, json_option, run
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.cli.interrupts import until_interrupted
from pnp.orchestrator.cli.output import as_dict, console, emit_json_line, styled

IDLE_SECONDS = 1.0  # without --follow: stop once the log has been quiet this long


@cli.command()
@click.option("--follow", "-f", is_flag=True, help="Keep watching for new events.")
@click.option("--after", default=0, show_default=True, help="Only events after this number.")
@json_option
@click.pass_obj
def events(obj: CliContext, follow: bool, after: int, as_json: bool) -> None:
    """Show the event log: registrations, losses, drains, orders, plans, operations.

    With --follow it runs until Ctrl-C, which ends it quietly (exit 0)."""
    work = _show(obj.orchestrator, follow, after, as_json, obj.client_tls())
    run(until_interrupted(work) if follow else work)


async def _show(address: str, follow: bool, after: int, as_json: bool, tls=None) -> None:
    async with OrchestratorClient(address, tls=tls) as client:
        stream = client.watch_events(after)
        try:
            while True:
                try:
                    if follow:
                        response = await stream.read()
                    else:
                        response = await asyncio.wait_for(stream.read(), IDLE_SECONDS)
                except TimeoutError:
                    return
                if response is grpc.aio.EOF:
                    return
                _print(response.event, as_json)
        except grpc.aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.CANCELLED:
                return
            raise error_from_rpc(error) from None
        finally:
            stream.cancel()


def _print(event, as_json: bool) -> None:
    if as_json:
        emit_json_line(as_dict(event))
        return
    when = event.time.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")
    console.print(
        styled(
            f"{event.sequence:>6} {when} ",
            (f"{event.kind:<24}", "bold"),
            f" {event.subject}: {event.message}",
            (f"  [by {event.actor}]" if event.actor else "", "dim"),
        ),
        soft_wrap=True,
    )
    console.file.flush()
