"""Benchmark: how fast the hot-swap controller notices a lost module and repairs the plan.

A real factory on this machine: the orchestrator (in this process, so events can be
timed to the microsecond), ten simulated modules as separate `pnp module run`
processes on the demo layout, and about 200 open operations. Each seeded trial picks
a module that is running an operation and fails it one of two ways:

- dropped session: SIGKILL. The OS closes its sockets; we time until the module is
  suspect (bound: 100 ms), then until its lease expires and it is lost;
- silent failure: SIGSTOP. Its sockets stay open but it says nothing; we time until it
  is lost (bound: 3 s).

Then, from the loss, until a repaired plan (without that module) is in force in the
executor (bound: 1 s), and, when another capable module is idle, until the interrupted
operation has started again elsewhere. The failed module is replaced by a new boot of
the same module before the next trial. Prints a table of p50/p95 against the bounds,
then one JSON line.

    .venv/bin/python bench/hotswap.py [--trials 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_logs import logs_to_file, stop_on_sigterm  # noqa: E402
from pnp.orchestrator.api.runtime import open_orchestrator  # noqa: E402
from pnp.orchestrator.domain.layout import load_layout_file  # noqa: E402
from pnp.orchestrator.service.factory import Factory, FactorySettings  # noqa: E402

PNP = str(Path(sys.executable).parent / "pnp")
MODULE_LOG = open(tempfile.gettempdir() + "/pnp-hotswap-modules.log", "a")  # noqa: SIM115
FLOOR = [
    ("laser-cutter", "A1"),
    ("welding-cell", "A2"),
    ("paint-booth", "A3"),
    ("vision-inspection", "A4"),
    ("cnc-mill", "B1"),
    ("assembly-cell", "B2"),
    ("welding-cell", "B3"),
    ("laser-cutter", "B4"),
    ("vision-inspection", "C1"),
    ("multi-laser", "C2"),
]
BOUNDS = {"dropped_detect_ms": 100.0, "silent_detect_ms": 3000.0, "repair_ms": 1000.0}


class Clocked:
    """Every event the orchestrator emits, with the monotonic time it was emitted."""

    def __init__(self, factory: Factory) -> None:
        self.seen: list[tuple[float, str, str]] = []
        self.changed = asyncio.Event()
        original = factory.events.emit

        def emit(kind, subject, message):
            self.seen.append((time.monotonic(), kind, subject))
            self.changed.set()
            return original(kind, subject, message)

        factory.events.emit = emit

    async def first(
        self, kind: str, subject: str | None, after: float, timeout: float
    ) -> float | None:
        deadline = time.monotonic() + timeout
        while True:
            for when, k, s in self.seen:
                if when >= after and k == kind and (subject is None or s == subject):
                    return when
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


def start_module(address: str, kind: str, dock: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PNP, "--orchestrator", address, "module", "run", kind, "--dock", dock, "--json"],
        stdout=subprocess.DEVNULL,
        stderr=MODULE_LOG,
    )


def order_texts(count: int) -> list[str]:
    bike = (REPO / "recipes/orders/city-bike-frame.yaml").read_text()
    gearbox = (REPO / "recipes/orders/gearbox-housing.yaml").read_text()
    return [
        (bike if n % 3 else gearbox).replace("name: ", f"name: n{n:03d}-", 1) for n in range(count)
    ]


async def run(trials: int, seed: int) -> dict:
    rng = random.Random(seed)
    scratch = Path(tempfile.mkdtemp(prefix="pnp-hotswap-"))
    layout = load_layout_file(REPO / "recipes/layouts/demo-factory.yaml")
    async with open_orchestrator(
        scratch / "bench.db", layout=layout, settings=FactorySettings(), stop_grace=0
    ) as orchestrator:
        factory = orchestrator.factory
        clock = Clocked(factory)
        processes = {
            f"{k}-{d}".lower(): (start_module(orchestrator.address, k, d), k, d) for k, d in FLOOR
        }
        try:
            raw = await trials_on(factory, clock, processes, orchestrator.address, trials, rng)
            pauses = factory.pauses.stats
            raw["loop_pauses"] = {
                "count": pauses.pauses,
                "longest_ms": round(pauses.longest * 1000, 1),
                "total_ms": round(pauses.total * 1000, 1),
            }
            return raw
        finally:
            for process, _, _ in processes.values():
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGCONT)
                    process.kill()
                process.wait()


async def trials_on(factory, clock, processes, address: str, trials: int, rng) -> dict:
    results = {"dropped": [], "silent": []}
    await clock.first("module.registered", None, 0, 60)
    while len({s for _, k, s in clock.seen if k == "module.registered"}) < len(FLOOR):
        await asyncio.sleep(0.1)
    texts = order_texts(30)
    for n, text in enumerate(texts):
        await factory.submit_order(text, f"bench-{n}.yaml", uuid.uuid4().hex)
    plan = await factory.plan(wait_for_current=True)
    open_operations = len(plan.assignments)
    print(
        f"floor: {len(FLOOR)} modules, {len(texts)} orders, {open_operations} open operations",
        file=sys.stderr,
    )
    for trial in range(2 * trials):
        mode = "dropped" if trial % 2 == 0 else "silent"
        results[mode].append(await one_trial(factory, clock, processes, address, mode, rng))
        print(f"trial {trial + 1}/{2 * trials} {mode}: {results[mode][-1]}", file=sys.stderr)
    return {"open_operations": open_operations, "results": results}


async def one_trial(factory, clock, processes, address, mode, rng) -> dict:
    busy = []
    while not busy:
        busy = sorted(
            {
                a.module_id
                for a in factory.ledger
                if a.state.value == "running" and a.module_id in processes
            }
        )
        if not busy:
            await asyncio.sleep(0.1)
    victim = rng.choice(busy)
    interrupted = next(
        a for a in factory.ledger if a.module_id == victim and a.state.value == "running"
    )
    process, kind, dock = processes[victim]
    paused_before = factory.pauses.stats.total
    exited = exit_watch(process)
    started = time.monotonic()
    process.send_signal(signal.SIGKILL if mode == "dropped" else signal.SIGSTOP)
    suspect = await clock.first("module.suspect", victim, started, 10)
    exited_at = await exited if mode == "dropped" else None
    if mode != "dropped":
        exited.cancel()
    # Our own event loop stalled meanwhile (CPU starvation, GC): part of the latency
    # that no code path of ours could have avoided.
    paused_ms = round((factory.pauses.stats.total - paused_before) * 1000, 1)
    lost = await clock.first("module.lost", victim, started, 10)
    repaired = await clock.first("plan.updated", None, lost, 10) if lost else None
    rerun = (
        await clock.first("operation.started", interrupted.operation_id, lost, 3) if lost else None
    )
    # Replace it with a new boot of the same module, and let the floor settle.
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
    revived = time.monotonic()
    processes[victim] = (start_module(address, kind, dock), kind, dock)
    await clock.first("module.registered", victim, revived, 60)
    await asyncio.sleep(0.5)

    def ms(a, b):
        return round((b - a) * 1000, 1) if a is not None and b is not None else None

    return {
        "victim": victim,
        "suspect_ms": ms(started, suspect),
        "lost_ms": ms(started, lost),
        "repair_ms": ms(lost, repaired),
        "rerun_ms": ms(lost, rerun),
        "loop_paused_ms": paused_ms if mode == "dropped" else None,
        # When the killed process had finished dying (its sockets closed): the kernel
        # tears down its memory first, and on a loaded machine that takes a while.
        "exited_ms": ms(started, exited_at),
    }


def exit_watch(process: subprocess.Popen) -> asyncio.Future:
    """Resolves with the monotonic time the process has exited (its pidfd turns
    readable). Stamped by a thread waiting on the pidfd, not by our event loop: a loop
    that is late (it is what is measured) would stamp the exit late too."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()
    fd = os.pidfd_open(process.pid)

    def wait() -> None:
        try:
            select.select([fd], [], [])
            exited_at = time.monotonic()
        finally:
            os.close(fd)
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(exited_at))

    threading.Thread(target=wait, name=f"exit-{process.pid}", daemon=True).start()
    return done


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summarize(raw: dict) -> list[dict]:
    dropped, silent = raw["results"]["dropped"], raw["results"]["silent"]
    rows = [
        ("dropped session -> suspect", [t["suspect_ms"] for t in dropped], "dropped_detect_ms"),
        (
            "  of it: exited -> suspect**",
            [
                round(t["suspect_ms"] - t["exited_ms"], 1)
                if t.get("exited_ms") is not None and t["suspect_ms"] is not None
                else None
                for t in dropped
            ],
            None,
        ),
        ("silent failure -> lost", [t["lost_ms"] for t in silent], "silent_detect_ms"),
        ("lost -> repaired plan in force", [t["repair_ms"] for t in dropped + silent], "repair_ms"),
        ("lost -> interrupted op restarted*", [t["rerun_ms"] for t in dropped + silent], None),
    ]
    summary = []
    for name, values, bound_key in rows:
        bound = BOUNDS.get(bound_key) if bound_key else None
        p95 = percentile(values, 0.95)
        summary.append(
            {
                "measure": name,
                "n": sum(1 for v in values if v is not None),
                "p50_ms": percentile(values, 0.5),
                "p95_ms": p95,
                "max_ms": max((v for v in values if v is not None), default=None),
                "bound_ms": bound,
                "pass": None if bound is None or p95 is None else p95 <= bound,
            }
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials of each failure kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="library warnings on stderr too")
    args = parser.parse_args()
    log_file = logs_to_file("hotswap", args.verbose)
    stop_on_sigterm()
    print(f"library logs: {log_file}; module output: {MODULE_LOG.name}", file=sys.stderr)
    raw = asyncio.run(run(args.trials, args.seed))
    summary = summarize(raw)
    print(
        f"{'measure':<36} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bound':>7}  result"
    )
    for row in summary:
        verdict = "-" if row["pass"] is None else ("PASS" if row["pass"] else "FAIL")
        fmt = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
        print(
            f"{row['measure']:<36} {row['n']:>3} {fmt(row['p50_ms']):>8} {fmt(row['p95_ms']):>8} "
            f"{fmt(row['max_ms']):>8} {fmt(row['bound_ms']):>7}  {verdict}"
        )
    print("* only when another capable module is idle within 3 s; not a bound of the issue")
    print(
        "** from the moment the killed process had exited (the kernel closes its sockets "
        "after tearing down its memory): the orchestrator's share"
    )
    pauses = raw["loop_pauses"]
    print(
        f"orchestrator event-loop pauses excused: {pauses['count']}, longest "
        f"{pauses['longest_ms']:.0f} ms; load average (1 min) {os.getloadavg()[0]:.2f}"
    )
    print(
        json.dumps(
            {
                "benchmark": "hotswap",
                "trials_per_kind": args.trials,
                "seed": args.seed,
                "open_operations": raw["open_operations"],
                "load_average_1min": round(os.getloadavg()[0], 2),
                "loop_pauses": raw["loop_pauses"],
                "summary": summary,
                "trials": raw["results"],
            }
        )
    )


if __name__ == "__main__":
    main()
