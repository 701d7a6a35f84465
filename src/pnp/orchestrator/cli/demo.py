"""``pnp demo``: a whole factory on this machine, end to end, over real gRPC and OPC UA.

It tells the plug-and-produce story: an orchestrator starts (temporary SQLite file,
the demo layout), simulated modules plug in one by one, the example orders arrive,
the plan appears (printed, and drawn as a Gantt chart and line pictures), and the
orders run on the modules' skills (an hour of factory time per real second by
default) with a live progress display. Meanwhile a module is unplugged mid-run and
another fails (demo_story.py); the work moves, a replacement is plugged in, and every
order finishes. It ends with the KPIs, and writes the charts of the plan and of what
actually happened, and each order's data package, into a folder it names.
Everything talks over loopback, as a real factory would.
With ``--secure`` a throw-away factory PKI is made first (``cli.demo_pki``) and every
connection is secured: mutual TLS on gRPC, SignAndEncrypt on OPC UA.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pnp.examples import EXAMPLES_DIR
from pnp.orchestrator.cli.app import cli, json_option, quiet_libraries, run
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.cli.demo_story import Director
from pnp.orchestrator.cli.kpis import compute_kpis
from pnp.orchestrator.cli.order_commands import write_package
from pnp.orchestrator.cli.output import (
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
from pnp.orchestrator.cli.view_rows import history_chart, line_picture, live_module_ids, plan_chart
from pnp.orchestrator.cli.web_options import check_web_address, web_insecure_option
from pnp.orchestrator.domain.layout import load_layout_file
from pnp.orchestrator.domain.recipe_loader import MAX_RECIPE_BYTES
from pnp.orchestrator.domain.yaml_source import read_text_capped
from pnp.orchestrator.errors import BadInput, Unavailable, Violation
from pnp.orchestrator.views import write_gantt, write_line_picture
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
    default=None,
    type=click.Path(file_okay=False),
    help="Folder with orders/*.yaml and layouts/demo-factory.yaml "
    "[default: the examples shipped with pnp; `pnp recipe examples DIR` copies them].",
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
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder for the Gantt charts, line pictures and order data packages "
    "[default: ./pnp-demo-YYYYMMDD-HHMMSS].",
)
@click.option(
    "--no-story",
    is_flag=True,
    help="Run the orders undisturbed: no module is unplugged, fails or is replaced.",
)
@click.option(
    "--secure",
    is_flag=True,
    help="Run fully secured, with certificates made on the fly in a temporary folder.",
)
@click.option(
    "--web",
    metavar="[HOST:]PORT",
    default=None,
    help="Serve the live web console on the demo factory while it runs: HTTPS with the "
    "demo planner's certificate under --secure, else plain HTTP on loopback only.",
)
@web_insecure_option
@json_option
def demo(
    recipes_dir: str | None,
    solve_time_limit: float,
    time_scale: float,
    out_dir: str | None,
    no_story: bool,
    secure: bool,
    web: str | None,
    web_insecure: bool,
    as_json: bool,
) -> None:
    """Run a whole factory end to end and tell the plug-and-produce story.

    Modules plug in, orders arrive, the plan appears; mid-run one module is unplugged
    and another fails, a replacement is plugged in, and every order finishes. Ends
    with the KPIs and writes charts and data packages into the --out folder. With
    --secure, everything runs over mutual TLS and OPC UA SignAndEncrypt.
    """
    check_web_address(web, secured=secure, insecure=web_insecure)
    out = Path(out_dir or f"pnp-demo-{datetime.now():%Y%m%d-%H%M%S}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "orders").mkdir(exist_ok=True)
    except OSError as error:
        raise BadInput(
            f"cannot create {out}: {error.strerror}",
            [Violation("--out", f"cannot create {out}: {error.strerror}")],
        ) from None
    root = Path(recipes_dir) if recipes_dir is not None else EXAMPLES_DIR
    layout_file = root / "layouts" / "demo-factory.yaml"
    order_files = sorted((root / "orders").glob("*.yaml"))
    if not layout_file.is_file() or not order_files:
        raise BadInput(
            f"no demo data under {root}/",
            [
                Violation(
                    "recipes",
                    f"expected {layout_file} and {root}/orders/*.yaml; leave out "
                    "--recipes to use the shipped examples",
                )
            ],
        )
    result = run(
        _demo(
            layout_file,
            order_files,
            solve_time_limit,
            time_scale,
            out,
            story=not no_story,
            quiet=as_json,
            secure=secure,
            web=web,
            web_insecure=web_insecure,
        )
    )
    if as_json:
        emit_json(result)


async def _demo(
    layout_file: Path,
    order_files: list[Path],
    solve_time_limit: float,
    time_scale: float,
    out: Path,
    story: bool,
    quiet: bool,
    secure: bool = False,
    web: str | None = None,
    web_insecure: bool = False,
) -> dict:
    # Imported here, not at the top: the server pulls in OR-Tools, and every other
    # command should start fast.
    from pnp.orchestrator.api.runtime import open_orchestrator
    from pnp.orchestrator.cli.demo_pki import DemoPki
    from pnp.orchestrator.service.settings import FactorySettings
    from pnp.orchestrator.web.server import start_console
    from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig

    log_file = out / "demo.log"  # the libraries' and the modules' own messages
    quiet_libraries(log_file=log_file)
    layout = load_layout_file(layout_file)
    recipes = [(str(p), read_text_capped(p, MAX_RECIPE_BYTES)) for p in order_files]
    say = (lambda *_: None) if quiet else console.print
    with tempfile.TemporaryDirectory(prefix="pnp-demo-") as scratch:
        pki = DemoPki.create(Path(scratch) / "pki", DEMO_FLOOR) if secure else None
        settings = FactorySettings(
            solve_time_limit=solve_time_limit,
            time_scale=time_scale,
            opcua_security=pki.orchestrator if pki else None,
        )
        async with open_orchestrator(
            Path(scratch) / "demo.db",
            layout=layout,
            settings=settings,
            tls=pki.orchestrator if pki else None,
        ) as server:
            security = "mutual TLS, OPC UA SignAndEncrypt" if pki else "no TLS"
            say(
                styled(
                    ("orchestrator", "bold"),
                    f" listening on {server.address} (demo: {security}, temporary database)",
                )
            )
            web_console = (
                await start_console(
                    server.factory,
                    web,
                    tls=pki.orchestrator if pki else None,
                    insecure=web_insecure,
                )
                if web
                else None
            )
            if web_console:
                say(
                    styled(
                        ("web console", "bold"),
                        f" on {web_console.url} while the demo runs ({web_console.exposure}"
                        + (
                            f"; the demo planner's certificate: {pki.planner.certificate})"
                            if pki
                            else ")"
                        ),
                    )
                )
            modules: dict = {}
            tasks: dict = {}

            async def plug_in(kind: str, dock: str, module_id: str = "", serial: str = ""):
                simulated = SimulatedModule(
                    SimulatedModuleConfig(
                        kind=kind,
                        dock=dock,
                        module_id=module_id,
                        serial=serial,
                        orchestrator=server.address,
                        seed=len(modules) + len(tasks),
                        time_scale=time_scale,
                        security=pki.module(kind, dock) if pki else None,
                    )
                )
                task = asyncio.create_task(simulated.run(), name=simulated.module_id)
                await _registered(simulated, task)
                return simulated, task

            try:
                with _status("plugging in modules...", quiet):
                    for kind, dock in DEMO_FLOOR:
                        simulated, task = await plug_in(kind, dock)
                        modules[simulated.module_id], tasks[simulated.module_id] = simulated, task
                        say(
                            styled(
                                "  plugged in ", (simulated.module_id, "bold"), f" on dock {dock}"
                            )
                        )
                director = Director(modules, tasks, plug_in, say) if story else None
                planner = pki.planner if pki else None
                return await _order_plan_and_run(
                    server.address, recipes, say, out, director, tls=planner
                )
            finally:
                for task in tasks.values():
                    task.cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)
                if web_console:
                    await web_console.stop()


def _status(message: str, quiet: bool):
    return contextlib.nullcontext() if quiet else console.status(message)


async def _registered(simulated, task: asyncio.Task) -> None:
    registered = asyncio.create_task(simulated.client.registered.wait())
    done, _ = await asyncio.wait(
        {registered, task}, timeout=REGISTRATION_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if registered not in done:
        registered.cancel()
        if task in done and task.exception() is not None:
            raise Unavailable(f"module {simulated.module_id} failed: {task.exception()}")
        raise Unavailable(f"module {simulated.module_id} did not register in time")


async def _order_plan_and_run(
    address: str,
    recipes: list[tuple[str, str]],
    say,
    out: Path,
    director: Director | None,
    tls=None,
) -> dict:
    written: list[Path] = []
    async with OrchestratorClient(address, deadline=60, tls=tls) as client:
        # The director is on the floor before the first order arrives: work starts as
        # soon as there is a plan, at an hour of factory time per second.
        directing = (
            asyncio.create_task(director.direct(client.watch_events(0))) if director else None
        )
        orders = []
        for source, text in recipes:
            submitted = await client.submit_order(text, source, uuid.uuid4().hex)
            orders.append(submitted)
            say(
                styled("  order ", (submitted.order_id, "bold"), f" {submitted.name} from {source}")
            )
            if submitted.unmatched:
                say(unmatched_tree(submitted.unmatched))
            await asyncio.sleep(0.2)  # orders arrive one after the other
        plan = await client.get_plan(wait_for_current=True)
        say(plan_table(plan))
        modules = await client.list_modules()
        layout = await client.get_layout()
        written += _draw(plan_chart(plan, live_module_ids(modules)), out / "plan-gantt", say)
        graphs = []
        for submitted in orders:
            response = await client.get_order(submitted.order_id)
            graphs.append(response.line_graph)
            say(styled("\n", (submitted.order_id, "bold"), f" {submitted.name}"))
            say(line_graph_tree(response.line_graph))
            if response.line_graph.nodes:
                path = out / f"line-{submitted.order_id}.svg"
                picture = line_picture(
                    submitted.order_id,
                    response.line_graph,
                    layout,
                    when=f"as planned before the run (plan v{plan.version})",
                    notes=(
                        f"the plan, not what ran: what ran is in orders/{submitted.order_id}"
                        ".json (every attempt) and history-gantt",
                    ),
                )
                write_line_picture(picture, path, "--out")
                written.append(path)
        try:
            finished = await _follow_until_done(client, [o.order_id for o in orders], say)
        finally:
            if directing is not None:
                directing.cancel()
                await asyncio.gather(directing, return_exceptions=True)
        history = await client.every_attempt()
        modules = await client.list_modules()
        written += _draw(
            history_chart(history.attempts, history.factory_time, "", live_module_ids(modules)),
            out / "history-gantt",
            say,
        )
        for order in finished:
            path = out / "orders" / f"{order.order_id}.json"
            write_package(await client.export_order_data(order.order_id), path, "--out")
            written.append(path)
    attempts = history.attempts
    kpis = compute_kpis(finished, attempts, [m.descriptor.module_id for m in modules])
    say(kpi_summary(kpis))
    say(kpi_table(kpis))
    if director is not None:
        _tell_the_story_again(director, attempts, say)
    written.append(out / "demo.log")
    say(styled("\nwritten to ", (f"{out}/", "bold"), ":"))
    for path in written:
        say(f"  {path}  ({_what_it_shows(path)})")
    return {
        "modules": [as_dict(m) for m in modules],
        "orders": [as_dict(o) for o in finished],
        "plan": as_dict(plan),
        "line_graphs": [as_dict(g) for g in graphs],
        "attempts": [as_dict(a) for a in attempts],
        "kpis": kpis.as_dict(),
        "story": {
            "unplugged": director.log.unplugged if director else "",
            "failed": director.log.failed if director else "",
            "replaced": director.log.replaced if director else "",
        },
        "out": str(out),
        "files": [str(p) for p in written],
    }


def _what_it_shows(path: Path) -> str:
    """Which of the demo's files show the plan and which what ran: they differ after a
    hot swap, and each says so."""
    if path.name.startswith(("line-", "plan-gantt")):
        return "the plan, before the run"
    if path.name.startswith("history-gantt") or path.parent.name == "orders":
        return "what ran"
    if path.suffix == ".log":
        return "the modules' and libraries' messages, kept out of the story"
    return "output"


def _draw(chart, stem: Path, say) -> list[Path]:
    """The chart as an interactive page and as a picture."""
    paths = [stem.with_suffix(".html"), stem.with_suffix(".png")]
    for path in paths:
        write_gantt(chart, path, "--out")
    return paths


def _tell_the_story_again(director: Director, attempts, say) -> None:
    """What the disturbances cost: the interrupted attempts and where the work went."""
    from pnp.v1 import attempt_pb2

    failed = [a for a in attempts if a.state == attempt_pb2.ATTEMPT_STATE_FAILED]
    say(styled(("\nthe story", "bold")))
    for line in director.log.lines:
        say(f"  {line.removeprefix('[story] ')}")
    for attempt in failed:
        redone = next(
            (
                a
                for a in attempts
                if a.operation_id == attempt.operation_id
                and a.state == attempt_pb2.ATTEMPT_STATE_COMPLETE
            ),
            None,
        )
        where = f"re-run on {redone.module_id}" if redone else "not re-run"
        say(
            f"  {attempt.operation_id}: interrupted on {attempt.module_id} "
            f"({attempt.error}), {where}"
        )


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
