"""``pnp demo``: a whole factory on this machine, end to end, over real gRPC and OPC UA.

It starts an orchestrator (temporary SQLite file, the demo layout), plugs simulated
modules into their docks, submits the example recipes, prints the plan and each
order's production line, runs every order to completion on the modules' skills (at a
time scale: an hour of factory time per second by default) with a live progress
display, and ends with the KPIs. Everything talks over loopback, as a real factory would.
With ``--secure`` a throw-away factory PKI is made first (``cli.demo_pki``) and every
connection is secured: mutual TLS on gRPC, SignAndEncrypt on OPC UA.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchestrator.cli.client import OrchestratorClient
from orchestrator.cli.kpis import compute_kpis
from orchestrator.cli.main import cli, json_option, quiet_libraries, run
from orchestrator.cli.output import (
    ORDER_STATE_NAMES,
    as_dict,
    console,
    emit_json,
    kpi_summary,
    kpi_table,
    line_graph_tree,
    plan_table,
    styled,
    unmatched_tree,
)
from orchestrator.domain.layout import load_layout_file
from orchestrator.domain.recipe_loader import MAX_RECIPE_BYTES
from orchestrator.domain.yaml_source import read_text_capped
from orchestrator.errors import BadInput, Unavailable, Violation
from pnp.v1 import order_pb2

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
DEFAULT_TIME_SCALE = 3600.0  # an hour of factory time per real second
COMPLETION_TIMEOUT = 300.0  # real seconds


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
@click.option(
    "--time-scale",
    default=DEFAULT_TIME_SCALE,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Factory seconds per real second.",
)
@click.option(
    "--secure",
    is_flag=True,
    help="Run fully secured, with certificates made on the fly in a temporary folder.",
)
@json_option
def demo(
    recipes_dir: str, solve_time_limit: float, time_scale: float, secure: bool, as_json: bool
) -> None:
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
    result = run(
        _demo(layout_file, order_files, solve_time_limit, time_scale, quiet=as_json, secure=secure)
    )
    if as_json:
        emit_json(result)


async def _demo(
    layout_file: Path,
    order_files: list[Path],
    solve_time_limit: float,
    time_scale: float,
    quiet: bool,
    secure: bool = False,
) -> dict:
    # Imported here, not at the top: the server pulls in OR-Tools, and every other
    # command should start fast.
    from modules.sim import SimulatedModule, SimulatedModuleConfig
    from orchestrator.api.server import start_server
    from orchestrator.cli.demo_pki import DemoPki
    from orchestrator.service.factory import Factory, FactorySettings
    from orchestrator.store import Store

    quiet_libraries()
    layout = load_layout_file(layout_file)
    recipes = [(str(p), read_text_capped(p, MAX_RECIPE_BYTES)) for p in order_files]
    say = (lambda *_: None) if quiet else console.print
    with tempfile.TemporaryDirectory(prefix="pnp-demo-") as scratch:
        store = Store.open_sqlite(Path(scratch) / "demo.db")
        pki = DemoPki.create(Path(scratch) / "pki", DEMO_FLOOR) if secure else None
        factory = Factory(
            store,
            layout=layout,
            settings=FactorySettings(
                solve_time_limit=solve_time_limit,
                time_scale=time_scale,
                opcua_security=pki.orchestrator if pki else None,
            ),
        )
        await factory.start()
        server = await start_server(factory, "127.0.0.1:0", pki.orchestrator if pki else None)
        security = "mutual TLS, OPC UA SignAndEncrypt" if pki else "no TLS"
        say(
            styled(
                ("orchestrator", "bold"),
                f" listening on {server.address} (demo: {security}, temporary database)",
            )
        )
        modules = [
            SimulatedModule(
                SimulatedModuleConfig(
                    kind=kind,
                    dock=dock,
                    orchestrator=server.address,
                    seed=i,
                    time_scale=time_scale,
                    security=pki.module(kind, dock) if pki else None,
                )
            )
            for i, (kind, dock) in enumerate(DEMO_FLOOR)
        ]
        tasks = [asyncio.create_task(m.run(), name=m.module_id) for m in modules]
        try:
            await _plug_in(modules, tasks, say)
            planner = pki.planner if pki else None
            return await _order_plan_and_run(server.address, recipes, say, planner)
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


async def _order_plan_and_run(address: str, recipes: list[tuple[str, str]], say, tls=None) -> dict:
    async with OrchestratorClient(address, deadline=60, tls=tls) as client:
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
        finished = await _follow_until_done(client, [o.order_id for o in orders], say)
        attempts = await client.list_attempts()
        modules = await client.list_modules()
    kpis = compute_kpis(finished, attempts, [m.descriptor.module_id for m in modules])
    say(kpi_summary(kpis))
    say(kpi_table(kpis))
    return {
        "modules": [as_dict(m) for m in modules],
        "orders": [as_dict(o) for o in finished],
        "plan": as_dict(plan),
        "line_graphs": [as_dict(g) for g in graphs],
        "attempts": [as_dict(a) for a in attempts],
        "kpis": kpis.as_dict(),
    }


async def _follow_until_done(client: OrchestratorClient, order_ids: list[str], say) -> list:
    """Polls the orders, drawing one progress bar each, until all are completed."""
    live = say is console.print
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not live,
    )
    bars = {}
    deadline = asyncio.get_running_loop().time() + COMPLETION_TIMEOUT
    with progress:
        while True:
            current = {o.order_id: o for o in await client.list_orders() if o.order_id in order_ids}
            for order_id in order_ids:
                order = current[order_id]
                state = ORDER_STATE_NAMES.get(order.state, "?")
                if order_id not in bars:
                    bars[order_id] = progress.add_task(
                        f"{order_id} {order.name}", total=order.operations_total, state=state
                    )
                progress.update(bars[order_id], completed=order.operations_done, state=state)
            if all(o.state == order_pb2.ORDER_STATE_COMPLETED for o in current.values()):
                return [current[order_id] for order_id in order_ids]
            if asyncio.get_running_loop().time() > deadline:
                raise Unavailable(
                    f"orders not completed within {COMPLETION_TIMEOUT:.0f} s: "
                    + ", ".join(
                        f"{o.order_id} {o.operations_done}/{o.operations_total}"
                        for o in current.values()
                    )
                )
            await asyncio.sleep(0.25)
