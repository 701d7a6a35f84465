"""``pnp demo``: a whole factory on this machine, end to end, over real gRPC.

It starts an orchestrator (temporary SQLite file, the demo layout), plugs simulated
modules into their docks, submits the example recipes, and prints the plan and each
order's production line. Everything talks over loopback gRPC, as a real factory would.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from pathlib import Path

import click

from orchestrator.cli.client import OrchestratorClient
from orchestrator.cli.main import cli, json_option, run
from orchestrator.cli.output import (
    as_dict,
    console,
    emit_json,
    line_graph_tree,
    plan_table,
    styled,
    unmatched_tree,
)
from orchestrator.domain.layout import load_layout_file
from orchestrator.domain.recipe_loader import MAX_RECIPE_BYTES
from orchestrator.domain.yaml_source import read_text_capped
from orchestrator.errors import BadInput, Unavailable, Violation

# Which catalog kind is plugged into which dock of recipes/layouts/demo-factory.yaml.
DEMO_FLOOR: tuple[tuple[str, str], ...] = (
    ("laser-cutter", "A1"),
    ("welding-cell", "A2"),
    ("paint-booth", "A3"),
    ("vision-inspection", "A4"),
    ("cnc-mill", "B1"),
    ("assembly-cell", "B2"),
    ("bioreactor", "B3"),
    ("chromatography-skid", "B4"),
    ("fill-finish", "C1"),
    ("multi-laser", "C2"),
)
REGISTRATION_TIMEOUT = 30.0


@cli.command()
@click.option(
    "--recipes",
    "recipes_dir",
    default="recipes",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder with orders/*.yaml and layouts/.",
)
@click.option(
    "--solve-time-limit",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds the planner may take.",
)
@json_option
def demo(recipes_dir: str, solve_time_limit: float, as_json: bool) -> None:
    """Run a whole factory end to end: orchestrator, simulated modules, example orders."""
    root = Path(recipes_dir)
    layout_file = root / "layouts" / "demo-factory.yaml"
    order_files = sorted((root / "orders").glob("*.yaml"))
    if not layout_file.is_file() or not order_files:
        raise BadInput(
            f"no demo data under {root}/",
            [
                Violation(
                    "recipes",
                    f"expected {layout_file} and {root}/orders/*.yaml; run from a "
                    "clone of pnp or pass --recipes DIR",
                )
            ],
        )
    result = run(_demo(layout_file, order_files, solve_time_limit, quiet=as_json))
    if as_json:
        emit_json(result)


async def _demo(
    layout_file: Path, order_files: list[Path], solve_time_limit: float, quiet: bool
) -> dict:
    # Imported here, not at the top: the server pulls in OR-Tools, and every other
    # command should start fast.
    from modules.sim import SimulatedModule, SimulatedModuleConfig
    from orchestrator.api.server import start_server
    from orchestrator.service.factory import Factory, FactorySettings
    from orchestrator.store import Store

    layout = load_layout_file(layout_file)
    recipes = [(str(p), read_text_capped(p, MAX_RECIPE_BYTES)) for p in order_files]
    say = (lambda *_: None) if quiet else console.print
    with tempfile.TemporaryDirectory(prefix="pnp-demo-") as scratch:
        store = Store.open_sqlite(Path(scratch) / "demo.db")
        factory = Factory(
            store, layout=layout, settings=FactorySettings(solve_time_limit=solve_time_limit)
        )
        await factory.start()
        server = await start_server(factory, "127.0.0.1:0")
        say(
            styled(
                ("orchestrator", "bold"),
                f" listening on {server.address} (demo: no TLS, temporary database)",
            )
        )
        modules = [
            SimulatedModule(
                SimulatedModuleConfig(kind=kind, dock=dock, orchestrator=server.address, seed=i)
            )
            for i, (kind, dock) in enumerate(DEMO_FLOOR)
        ]
        tasks = [asyncio.create_task(m.run(), name=m.module_id) for m in modules]
        try:
            await _plug_in(modules, tasks, say)
            return await _order_and_plan(server.address, recipes, say)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.stop()
            await factory.stop()
            store.close()


async def _plug_in(modules: list, tasks: list[asyncio.Task], say) -> None:
    status = (
        console.status("plugging in modules...")
        if say is console.print
        else contextlib.nullcontext()
    )
    with status:
        for simulated, task in zip(modules, tasks, strict=True):
            registered = asyncio.create_task(simulated.client.registered.wait())
            done, _ = await asyncio.wait(
                {registered, task},
                timeout=REGISTRATION_TIMEOUT,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if registered not in done:
                registered.cancel()
                if task in done and task.exception() is not None:
                    raise Unavailable(f"module {simulated.module_id} failed: {task.exception()}")
                raise Unavailable(f"module {simulated.module_id} did not register in time")
            say(
                styled(
                    "  plugged in ",
                    (simulated.module_id, "bold"),
                    f" on dock {simulated.config.dock}",
                )
            )


async def _order_and_plan(address: str, recipes: list[tuple[str, str]], say) -> dict:
    async with OrchestratorClient(address, deadline=60) as client:
        orders = []
        for source, text in recipes:
            submitted = await client.submit_order(text, source, uuid.uuid4().hex)
            orders.append(submitted)
            say(
                styled("  order ", (submitted.order_id, "bold"), f" {submitted.name} from {source}")
            )
            if submitted.unmatched:
                say(unmatched_tree(submitted.unmatched))
        plan = await client.get_plan(wait_for_current=True)
        say(plan_table(plan))
        graphs = []
        for submitted in orders:
            response = await client.get_order(submitted.order_id)
            graphs.append(response.line_graph)
            say(styled("\n", (submitted.order_id, "bold"), f" {submitted.name}"))
            say(line_graph_tree(response.line_graph))
        modules = await client.list_modules()
    return {
        "modules": [as_dict(m) for m in modules],
        "orders": [as_dict(o) for o in orders],
        "plan": as_dict(plan),
        "line_graphs": [as_dict(g) for g in graphs],
    }
