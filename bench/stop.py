"""Graceful stop: time from SIGTERM to exit of `pnp serve` with operations in flight.

`pnp serve` on SQLite and N welding cells (`pnp module run` processes, through the
pass-through proxies of tests/faults/floor.py), fed weld orders that keep every cell
busy. Each trial waits until N attempts are running, sends SIGTERM (as systemd does;
Ctrl-C takes the same path) and times until the process has exited; then it checks
what the stop promised (exit 0, one "left running" line per attempt in flight, no -wal
or -shm file, no traceback) and starts the orchestrator again on the same port and
database, whose start settles what the last one left. At the end every order must
complete, with the independent checker's verdict (no execution id run twice).

Bound (issue 14): exit within 5 s. p50/p95/max over the trials; a table, then one
JSON line.

    .venv/bin/python bench/stop.py --trials 10 --modules 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.bench_logs import logs_to_file, stop_on_sigterm  # noqa: E402
from tests.faults.floor import RUNNING, ProxiedFloor, weld_order  # noqa: E402

BOUND_SECONDS = 5.0
DOCKS = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"]
TIME_SCALE = "20"  # a weld takes 21 real seconds: still running when the stop comes
SERVE = (
    "--layout", str(REPO / "recipes" / "layouts" / "demo-factory.yaml"),
    "--lease-ttl", "3", "--heartbeat-interval", "0.5",
)  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def in_flight(floor: ProxiedFloor, count: int, timeout: float = 180) -> list:
    """Waits until ``count`` attempts are running; returns them."""
    async with floor.client() as client:
        async with asyncio.timeout(timeout):
            while True:
                running = [a for a in await client.list_attempts() if a.state == RUNNING]
                if len(running) >= count:
                    return running
                await asyncio.sleep(0.1)


async def trial(floor: ProxiedFloor, modules: int) -> dict:
    running = await in_flight(floor, modules)
    server = floor.server
    assert server is not None
    began = time.monotonic()
    code, stderr = await asyncio.to_thread(server.stop, signal.SIGTERM)
    seconds = time.monotonic() - began
    floor.server_stderr += stderr
    floor.server = None
    named = [line for line in server.last_stdout.splitlines() if line.startswith("left running")]
    side_files = sorted(p.name for p in floor.db.parent.glob(floor.db.name + "-*"))
    missing = [a.execution_id for a in running if not any(a.execution_id in n for n in named)]
    await floor.start_orchestrator()  # settles what this one left
    return {
        "seconds": round(seconds, 3),
        "exit_code": code,
        "in_flight": len(running),
        "named": len(named),
        "unnamed": missing,
        "side_files": side_files,
        "traceback": "Traceback" in stderr,
    }


async def bench(trials: int, modules: int, solve_time_limit: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="pnp-bench-stop-"))
    cells = [("welding-cell", dock) for dock in DOCKS[:modules]]
    orders = modules * (trials + 1)
    results = []
    serve = (*SERVE, "--solve-time-limit", str(solve_time_limit))
    async with ProxiedFloor(folder, cells, time_scale=TIME_SCALE, serve_options=serve) as floor:
        for n in range(orders):
            await floor.submit(weld_order(n), f"bracket-{n:03d}.yaml", f"weld-{n}")
        for number in range(trials):
            results.append(await trial(floor, modules))
            print(f"trial {number + 1}: {results[-1]}", file=sys.stderr, flush=True)
        await floor.all_completed(orders, timeout=orders * 30)
        verdict = await floor.verdict()
    seconds = [r["seconds"] for r in results]
    clean = all(
        r["exit_code"] == 0
        and not r["unnamed"]
        and not r["side_files"]
        and not r["traceback"]
        and r["named"] >= r["in_flight"]
        for r in results
    )
    return {
        "benchmark": "stop",
        "trials": trials,
        "modules": modules,
        "solve_time_limit_seconds": solve_time_limit,
        "in_flight_per_trial": statistics.mean(r["in_flight"] for r in results),
        "p50_seconds": percentile(seconds, 0.5),
        "p95_seconds": percentile(seconds, 0.95),
        "max_seconds": max(seconds),
        "bound_seconds": BOUND_SECONDS,
        "within_bound": max(seconds) <= BOUND_SECONDS,
        "every_stop_clean": clean,
        "orders_completed": len(verdict.orders),
        "checker_problems": verdict.problems,
        "tracebacks": floor.tracebacks(),
        "results": results,
        "folder": str(folder),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--modules", type=int, default=4, help="welding cells (in flight)")
    parser.add_argument(
        "--solve-time-limit",
        type=float,
        default=1.0,
        help="pnp serve's --solve-time-limit (its default is 5: a replan then takes longer)",
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.modules <= len(DOCKS):
        parser.error(f"--modules: 1 to {len(DOCKS)}")
    logs_to_file("stop", args.verbose)
    stop_on_sigterm()
    result = asyncio.run(bench(args.trials, args.modules, args.solve_time_limit))
    table = Table(title="graceful stop: SIGTERM to exit of pnp serve", title_justify="left")
    for column in ("in flight", "p50 s", "p95 s", "max s", "bound s", "clean", "checker"):
        table.add_column(column)
    table.add_row(
        f"{result['in_flight_per_trial']:.1f}",
        f"{result['p50_seconds']:.2f}",
        f"{result['p95_seconds']:.2f}",
        f"{result['max_seconds']:.2f}",
        f"{BOUND_SECONDS:.0f}",
        "yes" if result["every_stop_clean"] else "NO",
        "ok" if not result["checker_problems"] else f"{len(result['checker_problems'])} problems",
    )
    Console().print(table)
    print(json.dumps({k: v for k, v in result.items() if k != "results"}))
    ok = result["within_bound"] and result["every_stop_clean"] and not result["checker_problems"]
    sys.exit(0 if ok and not result["tracebacks"] else 1)


if __name__ == "__main__":
    main()
