"""``pnp bench fjsp``: our scheduler against PyJobShop on FJSP benchmark instances.

Each instance is read once (``scheduler.parse_fjs``), solved by ``scheduler.solve``
and then by PyJobShop's CP-SAT model built from the very same parsed data, with the
same time limit and workers, one after the other in this process. Both schedules go
through ``scheduler.check_schedule``. The best-known makespan comes from the
``bks.csv`` of the benchmark folder.

This module is also the engine of ``bench/fjsp.py`` (which runs a whole set and
prints one JSON line); the CLI is the composition root, so the peer solver (an
optional dependency, ``pip install -e '.[bench]'``) is imported here and nowhere
in ``scheduler``.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pnp.orchestrator.cli.app import cli, json_option
from pnp.orchestrator.cli.output import console, emit_json
from pnp.orchestrator.errors import BadInput

if TYPE_CHECKING:
    from pnp import scheduler

REPO = Path(__file__).resolve().parents[4]  # src/pnp/orchestrator/cli -> the clone
DEFAULT_DATA = Path("../shared/benchmarks/fjsp")


@dataclass(frozen=True)
class SolverRun:
    """One solver's answer on one instance."""

    makespan: int | None
    bound: float | None
    status: str
    seconds: float  # wall time, model building included
    valid: bool
    violations: list[str] = field(default_factory=list)
    found_by: str = ""  # ours only: dispatch, local search or cp-sat
    best_found_seconds: float | None = None  # ours only: when the returned plan was found


@dataclass(frozen=True)
class InstanceRow:
    instance: str
    file: str
    jobs: int
    machines: int
    operations: int
    bks: int | None  # best-known makespan (upper bound) from bks.csv
    bks_lower: int | None  # best-known lower bound
    ours: SolverRun
    pyjobshop: SolverRun | None
    schedule: list[dict] = field(default_factory=list)  # ours, for anyone to check

    def to_json(self, with_schedule: bool) -> dict:
        data = asdict(self)
        if not with_schedule:
            data.pop("schedule")
        return data


def data_folder(option: str | None) -> Path:
    """The benchmark folder: the option, else ``../shared/benchmarks/fjsp`` from the repo."""
    if option is not None:
        return Path(option)
    return (REPO / DEFAULT_DATA).resolve()


def best_known(folder: Path) -> dict[str, dict[str, str]]:
    """bks.csv rows keyed by file path relative to the folder (empty without the file)."""
    path = folder / "bks.csv"
    if not path.is_file():
        return {}
    with path.open() as rows:
        return {row["file"]: row for row in csv.DictReader(rows)}


def resolve_instance(name: str, folder: Path, bks: dict[str, dict[str, str]]) -> Path:
    """A path, a path inside the data folder, or an instance name from bks.csv."""
    for candidate in (Path(name), folder / name):
        if candidate.is_file():
            return candidate
    for file, row in bks.items():
        if row["instance"] == name:
            return folder / file
    raise BadInput(
        f"{name}: no such file, nor an instance listed in {folder / 'bks.csv'}; "
        "give a .fjs path or an instance name such as mk01"
    )


def run_instance(
    path: Path,
    folder: Path,
    bks: dict[str, dict[str, str]],
    *,
    time_limit: float,
    workers: int,
    seed: int,
    with_peer: bool,
) -> InstanceRow:
    from pnp import scheduler  # here, not at the top: every `pnp` command loads this module

    key = _relative_key(path, folder)
    row = bks.get(key, {})
    name = row.get("instance") or path.stem
    try:
        instance = scheduler.parse_fjs(path.read_text(), name)
    except (OSError, scheduler.FjspFormatError) as error:
        raise BadInput(f"{path}: {error}") from error
    problem = instance.to_problem()
    ours, result = _run_ours(problem, time_limit, workers, seed)
    peer = _run_pyjobshop(instance, problem, time_limit, workers, seed) if with_peer else None
    return InstanceRow(
        instance=name,
        file=key,
        jobs=len(instance.jobs),
        machines=instance.machine_count,
        operations=instance.operation_count,
        bks=int(row["upper_bound"]) if row.get("upper_bound") else None,
        bks_lower=int(row["lower_bound"]) if row.get("lower_bound") else None,
        ours=ours,
        pyjobshop=peer,
        schedule=[
            {
                "operation": problem.operations[s.operation].name,
                "machine": problem.machines[s.machine].name,
                "start": s.start,
                "end": s.end,
            }
            for s in result.schedule
        ],
    )


def peer_available() -> bool:
    try:
        import pyjobshop  # noqa: F401
    except ImportError:
        return False
    return True


def _relative_key(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name


def _run_ours(
    problem: scheduler.Problem, time_limit: float, workers: int, seed: int
) -> tuple[SolverRun, scheduler.Result]:
    from pnp import scheduler

    improvements: list[tuple[float, float]] = []  # (seconds, objective)

    def note(progress: scheduler.Progress) -> None:
        if progress.objective is not None and (
            not improvements or progress.objective < improvements[-1][1]
        ):
            improvements.append((progress.seconds, progress.objective))

    options = scheduler.SolveOptions(
        time_limit=time_limit, workers=workers, seed=seed, on_progress=note
    )
    started = time.monotonic()
    result = scheduler.solve(problem, options)
    seconds = time.monotonic() - started
    violations = scheduler.check_schedule(problem, result)
    run = SolverRun(
        makespan=result.makespan,
        bound=result.bound,
        status=result.status.value,
        seconds=round(seconds, 3),
        valid=result.has_solution and not violations,
        violations=violations,
        found_by=result.found_by,
        best_found_seconds=round(improvements[-1][0], 3) if improvements else None,
    )
    return run, result


def _run_pyjobshop(
    instance: scheduler.FjspInstance,
    problem: scheduler.Problem,
    time_limit: float,
    workers: int,
    seed: int,
) -> SolverRun | None:
    """PyJobShop's OR-Tools model of the same parsed instance; None if not installed."""
    from pnp import scheduler

    try:
        import pyjobshop
    except ImportError:
        return None
    started = time.monotonic()
    model = pyjobshop.Model()
    machines = [model.add_machine(name=f"m{k + 1}") for k in range(instance.machine_count)]
    for j, operations in enumerate(instance.jobs):
        job = model.add_job(name=f"j{j + 1}")
        previous = None
        for modes in operations:
            task = model.add_task(job=job)
            for machine, duration in modes:
                model.add_mode(task, machines[machine], duration)
            if previous is not None:
                model.add_end_before_start(previous, task)
            previous = task
    answer = model.solve(
        time_limit=time_limit, display=False, num_workers=workers, random_seed=seed
    )
    seconds = time.monotonic() - started
    tasks = answer.best.tasks
    if not tasks:
        return SolverRun(None, answer.lower_bound, answer.status.value, round(seconds, 3), False)
    # Tasks were added in our operation order, so task i is operation i.
    schedule = tuple(
        scheduler.ScheduledOperation(i, task.resources[0], task.start, task.end)
        for i, task in enumerate(tasks)
    )
    makespan = max(s.end for s in schedule)
    as_result = scheduler.Result(
        status=scheduler.SolveStatus.FEASIBLE,
        schedule=schedule,
        objective=float(makespan),
        bound=float(min(answer.lower_bound, makespan)),
        makespan=makespan,
        weighted_tardiness=0,
        solve_seconds=seconds,
    )
    violations = scheduler.check_schedule(problem, as_result)
    return SolverRun(
        makespan=makespan,
        bound=answer.lower_bound,
        status=answer.status.value.lower(),
        seconds=round(seconds, 3),
        valid=not violations,
        violations=violations,
    )


def summary(rows: list[InstanceRow]) -> dict:
    """Mean deviation from the best-known makespan, hits, wins against the peer."""

    def deviations(pick) -> list[float]:
        return [100.0 * (pick(r) - r.bks) / r.bks for r in rows if r.bks and pick(r) is not None]

    ours = deviations(lambda r: r.ours.makespan)
    peer_rows = [r for r in rows if r.pyjobshop is not None]
    peer = deviations(lambda r: r.pyjobshop.makespan if r.pyjobshop else None)
    compared = [
        r for r in peer_rows if r.ours.makespan is not None and r.pyjobshop.makespan is not None
    ]
    return {
        "instances": len(rows),
        "all_valid": all(r.ours.valid for r in rows),
        "ours_at_bks": sum(1 for r in rows if r.bks and r.ours.makespan == r.bks),
        "ours_mean_deviation_pct": round(sum(ours) / len(ours), 3) if ours else None,
        "pyjobshop_mean_deviation_pct": (
            round(sum(peer) / len(peer), 3) if peer and len(peer) == len(rows) else None
        ),
        "ours_better": sum(1 for r in compared if r.ours.makespan < r.pyjobshop.makespan),
        "equal": sum(1 for r in compared if r.ours.makespan == r.pyjobshop.makespan),
        "pyjobshop_better": sum(1 for r in compared if r.ours.makespan > r.pyjobshop.makespan),
        "pyjobshop_all_valid": all(r.pyjobshop.valid for r in peer_rows) if peer_rows else None,
    }


def render_table(rows: list[InstanceRow]):
    from rich.table import Table

    table = Table(title="FJSP: makespan (lower is better); bound = proven lower bound")
    for header in (
        "instance", "ops", "BKS", "ours", "dev %", "bound", "s", "best at", "by",
        "PyJobShop", "PJS bound", "PJS s", "ours vs PJS", "valid",
    ):  # fmt: skip
        table.add_column(header, justify="left" if header in ("instance", "by") else "right")
    for r in rows:
        peer = r.pyjobshop
        dev = (
            f"{100.0 * (r.ours.makespan - r.bks) / r.bks:.2f}"
            if r.bks and r.ours.makespan is not None
            else "-"
        )
        versus = "-"
        if peer is not None and peer.makespan is not None and r.ours.makespan is not None:
            versus = {-1: "better", 0: "equal", 1: "WORSE"}[
                (r.ours.makespan > peer.makespan) - (r.ours.makespan < peer.makespan)
            ]
        valid = "yes" if r.ours.valid and (peer is None or peer.valid) else "NO"
        table.add_row(
            r.instance,
            str(r.operations),
            _text(r.bks),
            _text(r.ours.makespan),
            dev,
            _text(r.ours.bound),
            f"{r.ours.seconds:.1f}",
            _text(r.ours.best_found_seconds, "{:.1f}"),
            r.ours.found_by,
            _text(peer.makespan if peer else None),
            _text(peer.bound if peer else None),
            f"{peer.seconds:.1f}" if peer else "-",
            versus,
            valid,
        )
    return table


def _text(value, fmt: str = "{:g}") -> str:
    return "-" if value is None else fmt.format(value)


@cli.group()
def bench() -> None:
    """Benchmarks of the scheduler (run by hand; they take time limit x instances)."""


@bench.command("fjsp")
@click.argument("files", nargs=-1, required=True)
@click.option("--time-limit", type=float, default=10.0, show_default=True, help="Seconds each.")
@click.option("--workers", type=int, default=2, show_default=True, help="Search threads each.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--data",
    metavar="DIR",
    default=None,
    help=f"Benchmark folder with bks.csv (default: {DEFAULT_DATA} from the repository root).",
)
@click.option("--no-peer", is_flag=True, help="Skip PyJobShop.")
@json_option
def bench_fjsp(
    files: tuple[str, ...],
    time_limit: float,
    workers: int,
    seed: int,
    data: str | None,
    no_peer: bool,
    as_json: bool,
) -> None:
    """Solve FJSP instances (.fjs paths or names from bks.csv, e.g. mk01) with our
    scheduler and with PyJobShop, same limits, same run; check both schedules."""
    if time_limit <= 0 or workers < 1:
        raise BadInput("--time-limit must be > 0 and --workers >= 1")
    folder = data_folder(data)
    bks = best_known(folder)
    paths = [resolve_instance(name, folder, bks) for name in files]
    with_peer = not no_peer and peer_available()
    if not no_peer and not with_peer and not as_json:
        console.print("PyJobShop is not installed (pip install -e '.[bench]'): ours only.")
    rows = []
    for path in paths:
        rows.append(
            run_instance(
                path,
                folder,
                bks,
                time_limit=time_limit,
                workers=workers,
                seed=seed,
                with_peer=with_peer,
            )
        )
        if not as_json:
            console.print(f"{rows[-1].instance}: ours {rows[-1].ours.makespan}", style="dim")
    if as_json:
        emit_json(
            {
                "time_limit": time_limit,
                "workers": workers,
                "seed": seed,
                "summary": summary(rows),
                "instances": [r.to_json(with_schedule=True) for r in rows],
            }
        )
    else:
        console.print(render_table(rows))
        console.print(summary(rows))
