"""Benchmark: healthy modules declared lost under load (false losses per hour).

A healthy floor (the demo's ten modules, as `pnp module run` processes, or with
`--in-process` as simulated modules in the orchestrator's own event loop, as
`pnp demo` runs them) works through a planning-heavy order book (orders keep coming,
every completion replans, 5 s solves) while CPU hogs spin on every core. Nothing
fails on purpose, so every `module.lost` is a false loss: the liveness machinery
blaming a module for a stall that was not its fault. Bound: 0 at default settings.

Detection must not be bought with blindness, so after the window, still under the
same load, one module is stopped silently (SIGSTOP: time to lost, bound 3 s) and five
are killed one after another (SIGKILL: time to suspect, bound 100 ms) (processes mode
only). Each kill is timed from the signal and from the process's exit: the dropped
session is its socket closing at the exit, and under two hogs the victim itself waits
for CPU to die; the bound judges the orchestrator's share, from the exit to suspect.

Also reported: the orchestrator's own event-loop pauses as its pause detector saw
them (count, longest, total excused), and the load average before and after.
Prints a table, then one JSON line.

    .venv/bin/python bench/false_loss.py [--seconds 180] [--hogs 2] [--in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_logs import logs_to_file, stop_on_sigterm  # noqa: E402
from bench.hotswap import FLOOR, Clocked, exit_watch, order_texts  # noqa: E402
from pnp.orchestrator.api.runtime import open_orchestrator  # noqa: E402
from pnp.orchestrator.domain.layout import load_layout_file  # noqa: E402
from pnp.orchestrator.service.factory import FactorySettings  # noqa: E402

PNP = str(Path(sys.executable).parent / "pnp")
MODULE_LOG = open(tempfile.gettempdir() + "/pnp-false-loss-modules.log", "a")  # noqa: SIM115
BOUNDS = {"false_losses_per_hour": 0.0, "silent_detect_ms": 3000.0, "dropped_detect_ms": 100.0}
HOG = "while True: pass"


def start_module(address: str, kind: str, dock: str, time_scale: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            PNP,
            "--orchestrator",
            address,
            "module",
            "run",
            kind,
            "--dock",
            dock,
            "--json",
            "--time-scale",
            str(time_scale),
        ],
        stdout=subprocess.DEVNULL,
        stderr=MODULE_LOG,
    )


async def in_process_modules(address: str, time_scale: float) -> dict[str, asyncio.Task]:
    from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig

    tasks = {}
    for n, (kind, dock) in enumerate(FLOOR):
        module = SimulatedModule(
            SimulatedModuleConfig(
                kind=kind, dock=dock, orchestrator=address, seed=n, time_scale=time_scale
            )
        )
        tasks[module.module_id] = asyncio.create_task(module.run(), name=module.module_id)
    return tasks


class OrderBook:
    """Keeps ``depth`` orders open: a new one for each that completes."""

    def __init__(self, factory, depth: int) -> None:
        self.factory = factory
        self.depth = depth
        self.texts = order_texts(depth)
        self.submitted = 0

    async def keep_full(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            while len(self.factory.open_orders()) < self.depth:
                text = self.texts[self.submitted % len(self.texts)].replace(
                    "name: ", f"name: r{self.submitted:05d}-", 1
                )
                await self.factory.submit_order(text, "bench.yaml", uuid.uuid4().hex)
                self.submitted += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


async def run(args) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="pnp-false-loss-"))
    layout = load_layout_file(REPO / "recipes/layouts/demo-factory.yaml")
    settings = FactorySettings(time_scale=args.time_scale)
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    processes: dict[str, tuple[subprocess.Popen, str, str]] = {}
    tasks: dict[str, asyncio.Task] = {}
    try:
        async with open_orchestrator(
            scratch / "bench.db", layout=layout, settings=settings, stop_grace=0
        ) as orchestrator:
            factory = orchestrator.factory
            clock = Clocked(factory)
            if args.in_process:
                tasks = await in_process_modules(orchestrator.address, args.time_scale)
            else:
                processes = {
                    f"{k}-{d}".lower(): (
                        start_module(orchestrator.address, k, d, args.time_scale),
                        k,
                        d,
                    )
                    for k, d in FLOOR
                }
            try:
                return await measure(factory, clock, processes, args)
            finally:
                for task in tasks.values():
                    task.cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)
    finally:
        for process in [*hogs, *(p for p, _, _ in processes.values())]:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)
                process.kill()
            process.wait()


async def measure(factory, clock: Clocked, processes: dict, args) -> dict:
    # Generous: on a shared machine ten interpreters starting next to the hogs are slow.
    deadline = time.monotonic() + 300
    while len({s for _, k, s in clock.seen if k == "module.registered"}) < len(FLOOR):
        if time.monotonic() > deadline:
            raise SystemExit("the floor did not register within 300 s")
        await asyncio.sleep(0.1)
    book = OrderBook(factory, args.orders)
    stop = asyncio.Event()
    feeder = asyncio.create_task(book.keep_full(stop))
    load_before = load_average()
    started = time.monotonic()
    pauses_before = factory.pauses.stats
    print(f"floor up; {args.seconds:.0f} s under load (hogs: {args.hogs})", file=sys.stderr)
    await asyncio.sleep(args.seconds)
    window = time.monotonic() - started
    pauses = factory.pauses.stats
    lost = [
        (round(t - started, 1), s) for t, k, s in clock.seen if k == "module.lost" and t >= started
    ]
    suspect = [s for t, k, s in clock.seen if k == "module.suspect" and t >= started]
    completed = sum(1 for t, k, _ in clock.seen if k == "operation.completed" and t >= started)
    plans = sum(1 for t, k, _ in clock.seen if k == "plan.updated" and t >= started)
    load_after = load_average()
    detection = {}
    if processes:
        detection = await detect_under_load(clock, processes, args.kills)
    stop.set()
    await feeder
    return {
        "window_s": round(window, 1),
        "false_losses": lost,
        "false_losses_per_hour": round(len(lost) * 3600 / window, 2),
        "suspect_events": len(suspect),
        "operations_completed": completed,
        "plans_made": plans,
        "orders_submitted": book.submitted,
        "loop_pauses": pauses.pauses - pauses_before.pauses,
        "longest_pause_ms": round(pauses.longest * 1000, 1),
        "pause_total_ms": round((pauses.total - pauses_before.total) * 1000, 1),
        "load_average_1min": [load_before, load_after],
        **detection,
    }


async def detect_under_load(clock: Clocked, processes: dict, kills: int) -> dict:
    """One module stopped silently, then ``kills`` killed one after another, each timed
    twice: from the signal, and from the moment the process had exited (a pidfd). The
    dropped session is the socket closing at the exit; before it, the kernel tears the
    victim down, which needs CPU the hogs are taking. From the exit on is the
    orchestrator's share, the part it controls: that is what the bound judges here."""
    victims = sorted(processes)[: 1 + kills]
    silent = processes[victims[0]][0]
    started = time.monotonic()
    silent.send_signal(signal.SIGSTOP)
    lost = await clock.first("module.lost", victims[0], started, 10)
    dropped, after_exit, dying = [], [], []
    for victim in victims[1:]:
        process = processes[victim][0]
        exited = exit_watch(process)
        started_kill = time.monotonic()
        process.send_signal(signal.SIGKILL)
        suspect = await clock.first("module.suspect", victim, started_kill, 10)
        exited_at = await exited
        dying.append(round((exited_at - started_kill) * 1000, 1))
        if suspect is not None:
            dropped.append(round((suspect - started_kill) * 1000, 1))
            after_exit.append(round((suspect - exited_at) * 1000, 1))
    complete = len(dropped) == kills
    return {
        "silent_detect_ms": None if lost is None else round((lost - started) * 1000, 1),
        "kills": kills,
        "dropped_from_signal_ms": max(dropped) if complete else None,
        "dropped_detect_ms": max(after_exit) if complete else None,
        "signal_to_exit_max_ms": max(dying, default=None),
        "dropped_each_ms": dropped,
        "dropped_after_exit_each_ms": after_exit,
        "signal_to_exit_each_ms": dying,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="window under load")
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="spinning processes")
    parser.add_argument("--orders", type=int, default=30, help="orders kept open")
    parser.add_argument("--time-scale", type=float, default=30.0, help="factory s per real s")
    parser.add_argument("--in-process", action="store_true", help="modules in our event loop")
    parser.add_argument("--kills", type=int, default=5, help="modules killed after the window")
    parser.add_argument(
        "--without-excuse",
        action="store_true",
        help="for comparison: leases are not extended by the orchestrator's own stalls",
    )
    parser.add_argument("--verbose", action="store_true", help="library warnings on stderr too")
    args = parser.parse_args()
    if args.without_excuse:
        from pnp.orchestrator.registry import Registry

        Registry.excuse_pause = lambda _self, _paused: None  # type: ignore[method-assign]
    log_file = logs_to_file("false-loss", args.verbose)
    stop_on_sigterm()
    print(f"library logs: {log_file}; module output: {MODULE_LOG.name}", file=sys.stderr)
    raw = asyncio.run(run(args))
    rows = [
        ("healthy modules declared lost", len(raw["false_losses"]), None),
        ("false losses per hour", raw["false_losses_per_hour"], "false_losses_per_hour"),
        ("silent failure -> lost (ms)", raw.get("silent_detect_ms"), "silent_detect_ms"),
        (
            f"dropped: exited -> suspect, worst of {raw.get('kills', 0)}",
            raw.get("dropped_detect_ms"),
            "dropped_detect_ms",
        ),
        ("  from the kill signal (ms), worst", raw.get("dropped_from_signal_ms"), None),
        ("  of which signal -> exited (ms), worst", raw.get("signal_to_exit_max_ms"), None),
        ("suspect events (healthy)", raw["suspect_events"], None),
        ("operations completed", raw["operations_completed"], None),
        ("plans made", raw["plans_made"], None),
        ("our loop pauses excused", raw["loop_pauses"], None),
        ("longest loop pause (ms)", raw["longest_pause_ms"], None),
    ]
    verdicts = {}
    print(f"{'measure':<40} {'value':>10} {'bound':>7}  result")
    for name, value, key in rows:
        bound = BOUNDS.get(key) if key else None
        verdict = "-"
        if bound is not None and value is not None:
            verdicts[key] = value <= bound
            verdict = "PASS" if verdicts[key] else "FAIL"
        shown = "-" if value is None else f"{value:g}"
        print(f"{name:<40} {shown:>10} {'-' if bound is None else f'{bound:g}':>7}  {verdict}")
    mode = "in-process" if args.in_process else "processes"
    if args.without_excuse:
        mode += ", stalls NOT excused"
    print(
        f"{raw['window_s']:.0f} s window, {mode}, {args.hogs} hogs, {args.orders} orders open, "
        f"load average {raw['load_average_1min'][0]} -> {raw['load_average_1min'][1]}"
    )
    print(
        json.dumps(
            {
                "benchmark": "false_loss",
                "mode": mode,
                "hogs": args.hogs,
                "orders_open": args.orders,
                "time_scale": args.time_scale,
                "stalls_excused": not args.without_excuse,
                "pass": all(verdicts.values()),
                **raw,
            }
        )
    )


if __name__ == "__main__":
    main()
