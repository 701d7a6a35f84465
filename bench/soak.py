"""Soak: a long run of a whole floor of processes under seeded faults.

`pnp serve` on SQLite and N `pnp module run` processes (default 40, seven kinds), each
behind a fault proxy on its gRPC session and on the orchestrator's OPC UA link
(tests/faults/floor.py), take M orders (default 300, the two discrete example recipes)
that arrive at seeded moments over the first 70 % of the run. Faults drawn from the
seed over the same stretch: module kills (SIGKILL, back as a new boot a little later),
partitions through the proxies (half shorter than the lease, half longer), orchestrator
kills (SIGKILL, restarted on the same port and database; in the first half only, so
the second half is one life whose memory trend can be judged), drains (the drained
module is replugged as a new boot once released) and graceful module restarts. The
last 30 % is fault-free; then the run waits for every order to complete.

Printed: every fault injected, the orders completed, the independent checker's verdict
(tests/e2e/history_checker.py over the recorded attempts, plus the modules' journals:
no execution id accepted twice), and the orchestrator's memory (RSS of the serving
process; its solver workers apart) and CPU over time. Memory must stay flat: over the
longest orchestrator life, after its warm-up, a least-squares line is fitted to RSS and
its rise across the window must stay under FLAT_BOUND of the window's mean RSS. A table,
then one JSON line.

    .venv/bin/python bench/soak.py                                   # 12 min, 40, 300
    .venv/bin/python bench/soak.py --minutes 3 --modules 12 --orders 40   # a quick run

The issue asked for "two hours of factory time at 600x (12 real minutes)"; those three
numbers disagree (12 real minutes at 600x are 120 factory hours, two factory hours at
600x are 12 real seconds). The soak keeps the 12 real minutes, since what it soaks is
the orchestrator process, and the 600x, and reports the factory time that passed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.bench_logs import logs_to_file, stop_on_sigterm  # noqa: E402
from pnp.orchestrator.errors import PnpError  # noqa: E402
from tests.faults.floor import COMPLETE, COMPLETED, ProxiedFloor, ProxiedModule  # noqa: E402

FLAT_BOUND = 0.05  # the fitted RSS line may rise by at most 5 % of its mean over the window
WARM_UP = 0.25  # share of an orchestrator life left out of the memory fit
SAMPLE_EVERY = 5.0  # seconds between memory/CPU samples
LEASE_TTL = 2.0
SETTLE_TIMEOUT = 600.0  # seconds to wait, after the run, for every order to complete
KINDS = [  # (kind, share of the floor): the demo's discrete kinds
    ("laser-cutter", 5),
    ("multi-laser", 3),
    ("welding-cell", 6),
    ("paint-booth", 6),
    ("vision-inspection", 6),
    ("cnc-mill", 6),
    ("assembly-cell", 8),
]
# Faults per ten minutes of run, by kind.
RATES = {
    "module_kill": 5,
    "partition": 7,
    "orchestrator_kill": 2,
    "drain": 3,
    "module_restart": 4,
}
console = Console()


# -- the plan: floor, orders, faults (pure, from the seed) --------------------------------


def floor_of(size: int) -> list[tuple[str, str]]:
    """``size`` modules of the KINDS in their shares, each on its own dock D01..."""
    weights = [share for _, share in KINDS]
    counts = [max(1, round(size * w / sum(weights))) for w in weights]
    while sum(counts) > size:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < size:
        counts[counts.index(min(counts))] += 1
    kinds = [kind for (kind, _), n in zip(KINDS, counts, strict=True) for _ in range(n)]
    return [(kind, f"D{n + 1:02d}") for n, kind in enumerate(kinds)]


def order_texts(count: int) -> list[str]:
    bike = (REPO / "recipes/orders/city-bike-frame.yaml").read_text()
    gearbox = (REPO / "recipes/orders/gearbox-housing.yaml").read_text()
    return [
        (bike if n % 3 else gearbox).replace("  name: ", f"  name: soak{n:03d}-", 1)
        for n in range(count)
    ]


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the start of the run
    kind: str
    target: str  # module id, or "orchestrator"
    seconds: float  # how long it lasts (partition), or until the module is back


def draw_faults(seed: int, run_seconds: float, module_ids: list[str]) -> list[Fault]:
    """The faults of one run: counts from RATES, moments uniform over the faulty
    stretch (10 %..70 % of the run; orchestrator kills 10 %..50 %), one fault at a time
    per module."""
    rng = random.Random(seed)
    window = (0.1 * run_seconds, 0.7 * run_seconds)
    busy_until = dict.fromkeys(module_ids, 0.0)
    faults: list[Fault] = []
    drawn = [
        (kind, rng.uniform(*window))
        for kind, rate in RATES.items()
        for _ in range(max(1, round(rate * run_seconds / 600)))
    ]
    for kind, at in sorted(drawn, key=lambda k: k[1]):
        if kind == "orchestrator_kill":
            faults.append(Fault(round(min(at, 0.5 * run_seconds), 2), kind, "orchestrator", 0.0))
            continue
        seconds = {
            "module_kill": rng.uniform(3, 15),
            "partition": rng.choice([0.4, 3.0]) * LEASE_TTL * rng.uniform(0.8, 1.2),
            "drain": 0.0,
            "module_restart": 0.0,
        }[kind]
        free = [m for m in module_ids if busy_until[m] < at]
        if not free:
            continue
        target = rng.choice(free)
        busy_until[target] = at + seconds + 30  # and time to come back
        faults.append(Fault(round(at, 2), kind, target, round(seconds, 2)))
    return sorted(faults, key=lambda f: f.at)


def arrivals(seed: int, count: int, run_seconds: float) -> list[float]:
    rng = random.Random(seed + 1)
    return sorted(rng.uniform(0, 0.7 * run_seconds) for _ in range(count))


# -- measuring the orchestrator -----------------------------------------------------------


@dataclass
class Sample:
    t: float  # seconds after the start
    life: int  # which orchestrator process (1, 2, ... after each kill)
    rss_mb: float
    cpu_percent: float  # of one core, since the previous sample of this life
    children_rss_mb: float  # the solver worker processes


def _proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError), open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


async def sample_orchestrator(floor: ProxiedFloor, began: float, samples: list[Sample]) -> None:
    last: tuple[int, float, float] | None = None  # pid, monotonic, cpu seconds
    while True:
        pid = floor.orchestrator_pid
        if pid is not None:
            with contextlib.suppress(OSError, ValueError):
                now, cpu = time.monotonic(), _proc_cpu_seconds(pid)
                percent = 0.0
                if last is not None and last[0] == pid and now > last[1]:
                    percent = 100 * (cpu - last[2]) / (now - last[1])
                children = sum(_proc_rss_mb(c) for c in _children(pid))
                samples.append(
                    Sample(
                        round(now - began, 1),
                        floor.orchestrator_starts,
                        round(_proc_rss_mb(pid), 1),
                        round(percent, 1),
                        round(children, 1),
                    )
                )
                last = (pid, now, cpu)
        await asyncio.sleep(SAMPLE_EVERY)


def memory_trend(samples: list[Sample]) -> dict:
    """Least-squares slope of RSS over the longest life after its warm-up, and whether
    the rise it implies across the window stays under FLAT_BOUND of the mean."""
    lives = Counter(s.life for s in samples)
    if not lives:
        return {"flat": False, "why": "no samples"}
    life = max(lives, key=lambda n: (lives[n], n))
    mine = [s for s in samples if s.life == life]
    start = mine[0].t + WARM_UP * (mine[-1].t - mine[0].t)
    window = [s for s in mine if s.t >= start]
    if len(window) < 3:
        return {"flat": False, "why": "too few samples after warm-up", "life": life}
    xs, ys = [s.t / 60 for s in window], [s.rss_mb for s in window]
    slope, _ = statistics.linear_regression(xs, ys)
    minutes = xs[-1] - xs[0]
    mean = statistics.fmean(ys)
    rise = slope * minutes
    return {
        "life": life,
        "window_min": round(minutes, 1),
        "mean_mb": round(mean, 1),
        "slope_mb_per_min": round(slope, 3),
        "rise_mb": round(rise, 1),
        "bound_mb": round(FLAT_BOUND * mean, 1),
        "flat": rise <= FLAT_BOUND * mean,
    }


# -- the run ------------------------------------------------------------------------------


async def inject(floor: ProxiedFloor, fault: Fault, time_scale: str, log: list[dict]) -> None:
    began = time.monotonic()
    outcome = "done"
    try:
        if fault.kind == "orchestrator_kill":
            await asyncio.to_thread(floor.kill_orchestrator)
            await floor.start_orchestrator()
        else:
            module = floor.module(fault.target)
            if fault.kind == "partition":
                module.partition()
                await asyncio.sleep(fault.seconds)
                module.heal()
            elif fault.kind == "module_kill":
                await asyncio.to_thread(module.kill)
                await asyncio.sleep(fault.seconds)
                await module.start(time_scale)
            elif fault.kind == "module_restart":
                await asyncio.to_thread(module.stop)
                await module.start(time_scale)
            elif fault.kind == "drain":
                await drain_and_replug(floor, module, time_scale)
    except Exception as error:  # a fault that could not be carried out is reported, not fatal
        outcome = f"{type(error).__name__}: {error}"
    log.append({**asdict(fault), "took_s": round(time.monotonic() - began, 1), "outcome": outcome})


async def drain_and_replug(floor: ProxiedFloor, module: ProxiedModule, time_scale: str) -> None:
    """Drain; once released (its current operation done), replug it as a new boot. Calls
    are retried: the orchestrator may be restarting meanwhile."""
    drained = False
    async with asyncio.timeout(180):
        while True:
            try:
                async with floor.client() as client:
                    if not drained:
                        await client.drain_module(module.module_id)
                        drained = True
                    if (await client.get_module(module.module_id)).released:
                        break
            except PnpError:
                pass
            await asyncio.sleep(0.5)
    await asyncio.to_thread(module.stop)
    await module.start(time_scale)


async def soak(args: argparse.Namespace) -> dict:
    run_seconds = args.minutes * 60
    layout = floor_of(args.modules)
    folder = Path(tempfile.mkdtemp(prefix="pnp-soak-"))
    serve = ("--lease-ttl", str(LEASE_TTL), "--solve-time-limit", str(args.solve_time_limit))
    time_scale = str(args.time_scale)
    faults_done: list[dict] = []
    samples: list[Sample] = []
    load = [os.getloadavg()[0]]
    floor = ProxiedFloor(
        folder, layout, time_scale=time_scale, serve_options=serve, start_concurrency=8
    )
    async with floor:
        faults = draw_faults(args.seed, run_seconds, [m.module_id for m in floor.modules])
        texts = order_texts(args.orders)
        began = time.monotonic()
        sampler = asyncio.create_task(sample_orchestrator(floor, began, samples))

        async def submit_all() -> None:
            for n, (at, text) in enumerate(zip(arrivals(args.seed, args.orders, run_seconds),
                                               texts, strict=True)):  # fmt: skip
                await asyncio.sleep(max(0.0, began + at - time.monotonic()))
                await floor.submit(text, f"soak-{n:03d}.yaml", f"soak-{args.seed}-{n:03d}")

        async def inject_all() -> None:
            running = []
            for fault in faults:
                await asyncio.sleep(max(0.0, began + fault.at - time.monotonic()))
                running.append(asyncio.create_task(inject(floor, fault, time_scale, faults_done)))
            await asyncio.gather(*running)

        submitting = asyncio.create_task(submit_all())
        injecting = asyncio.create_task(inject_all())
        await asyncio.sleep(run_seconds)
        load.append(os.getloadavg()[0])
        await asyncio.gather(submitting, injecting)
        settle_began = time.monotonic()
        completed_in_time = True
        try:
            await floor.all_completed(args.orders, timeout=SETTLE_TIMEOUT)
        except AssertionError:
            completed_in_time = False
        settle = time.monotonic() - settle_began
        sampler.cancel()
        verdict = await floor.verdict()
        counts = {
            kind: len(floor.events(kind))
            for kind in ("module.lost", "operation.reclaimed", "operation.superseded")
        }
    completed = sum(1 for o in verdict.orders if o.state == COMPLETED)
    return {
        "seed": args.seed,
        "minutes": args.minutes,
        "time_scale": args.time_scale,
        "factory_hours": round(run_seconds * args.time_scale / 3600, 1),
        "modules": args.modules,
        "orders": args.orders,
        "orders_completed": completed,
        "completed_within_settle": completed_in_time,
        "settle_s": round(settle, 1),
        "operations_completed": sum(1 for a in verdict.attempts if a.state == COMPLETE),
        "attempts": len(verdict.attempts),
        "faults": sorted(faults_done, key=lambda f: f["at"]),
        "fault_counts": dict(Counter(f["kind"] for f in faults_done)),
        "events": counts,
        "checker": {"ok": verdict.ok, "problems": verdict.problems[:20]},
        "tracebacks": floor.tracebacks(),
        "first_traceback": floor.first_traceback(),
        "samples": [asdict(s) for s in samples],
        "memory": memory_trend(samples),
        "load_average": {"before": load[0], "end_of_run": load[-1]},
        "scratch": str(folder),
    }


def report(result: dict) -> None:
    faults = Table(title="faults injected", title_justify="left")
    for column in ("at s", "kind", "target", "lasts s", "took s", "outcome"):
        faults.add_column(column)
    for f in result["faults"]:
        faults.add_row(
            f"{f['at']:.0f}", f["kind"], f["target"], f"{f['seconds']:g}", f"{f['took_s']:g}",
            f["outcome"],
        )  # fmt: skip
    console.print(faults)

    over_time = Table(title="orchestrator over time (per minute)", title_justify="left")
    for column in ("minute", "life", "RSS MB", "solvers RSS MB", "CPU % (mean)", "CPU % (max)"):
        over_time.add_column(column, justify="right")
    by_minute: dict[int, list[dict]] = {}
    for s in result["samples"]:
        by_minute.setdefault(int(s["t"] // 60), []).append(s)
    for minute, rows in sorted(by_minute.items()):
        over_time.add_row(
            str(minute), str(rows[-1]["life"]), f"{rows[-1]['rss_mb']:.0f}",
            f"{rows[-1]['children_rss_mb']:.0f}",
            f"{statistics.fmean(r['cpu_percent'] for r in rows):.0f}",
            f"{max(r['cpu_percent'] for r in rows):.0f}",
        )  # fmt: skip
    console.print(over_time)

    m = result["memory"]
    summary = Table(title="soak", title_justify="left")
    summary.add_column("figure")
    summary.add_column("value")
    rows = [
        ("run", f"{result['minutes']} min at {result['time_scale']:g}x "
                f"({result['factory_hours']} factory h), seed {result['seed']}"),
        ("floor", f"{result['modules']} modules"),
        ("orders completed", f"{result['orders_completed']} / {result['orders']} "
                             f"(settled {result['settle_s']} s after the run)"),
        ("operations completed / attempts", f"{result['operations_completed']} / "
                                            f"{result['attempts']}"),
        ("faults", ", ".join(f"{k} {v}" for k, v in sorted(result["fault_counts"].items()))),
        ("events", ", ".join(f"{k} {v}" for k, v in result["events"].items())),
        ("checker", "PASS" if result["checker"]["ok"] else
                    "FAIL: " + "; ".join(result["checker"]["problems"][:5])),
        ("tracebacks", ", ".join(result["tracebacks"]) or "none"),
        ("memory trend", f"life {m.get('life')}: {m.get('slope_mb_per_min')} MB/min over "
                         f"{m.get('window_min')} min, rise {m.get('rise_mb')} MB, bound "
                         f"{m.get('bound_mb')} MB -> {'FLAT' if m.get('flat') else 'GROWING'}"),
        ("load average", f"{result['load_average']['before']:.1f} before, "
                         f"{result['load_average']['end_of_run']:.1f} at the end"),
    ]  # fmt: skip
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    if result["first_traceback"]:
        console.print("first traceback:", style="bold red")
        console.print(result["first_traceback"], markup=False, highlight=False)
    print(json.dumps({k: v for k, v in result.items() if k not in ("samples", "first_traceback")}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=12.0, help="real minutes of run")
    parser.add_argument("--modules", type=int, default=40)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--time-scale", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--solve-time-limit", type=float, default=2.0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    log = logs_to_file("soak", args.verbose)
    stop_on_sigterm()
    console.print(f"logs: {log}")
    result = asyncio.run(soak(args))
    report(result)
    ok = result["checker"]["ok"] and result["memory"].get("flat") and not result["tracebacks"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
