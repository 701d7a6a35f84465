"""Benchmark: takeover time and memory do not grow with the factory's history (HA issue,
item 7).

1. **Takeover.** A store is filled with N closed orders (completed, each with its
   operations, one completed attempt per operation and their events) plus a few open
   ones (one attempt running each), directly through the store API, without fsync
   (set-up, not measured). Then, per database and ``--repeat`` times, a fresh process
   opens it: measured are the time from calling ``open_orchestrator`` until it listens
   (store opened and migrated, open orders and attempts reloaded, newest plan,
   event log, gRPC server), which the bound (1 s) applies to, and, for reference,
   ``pnp serve``'s whole start (process start, interpreter and imports included) to
   its "listening" line. N = 0, ``--small`` (2000) and ``--large`` (10,000).
2. **Memory.** In this process, an orchestrator (``open_orchestrator``, real gRPC
   server and SQLite store) with ``--modules`` in-memory modules
   (``execution.memory_link``, each finishing an operation as soon as it starts) runs
   ``--orders`` one-step orders to completion, ``--window`` open at a time. Measured
   after ``--warm`` orders and at the end, after a full collection: Python memory
   allocated by everything but the in-memory modules' own journals (tracemalloc,
   filtered on ``memory_link.py``, whose modules remember every execution they ran, as
   a real module's journal would on its own machine), the process's RSS, and what the
   orchestrator holds (attempts in the ledger, open and cached orders). Bound: flat,
   i.e. the traced memory grows by at most ``FLAT_BYTES_PER_ORDER`` bytes per order
   between the two points (the orchestrator held every order and attempt before).

    .venv/bin/python bench/history.py [--small 2000] [--large 10000] [--repeat 3]
        [--orders 10000] [--warm 1000] [--modules 16] [--window 60]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PNP = str(Path(sys.executable).parent / "pnp")
RECIPE_FILE = REPO / "recipes" / "orders" / "city-bike-frame.yaml"
OPEN_ORDERS = 5
BOUND_TAKEOVER_S = 1.0
FLAT_BYTES_PER_ORDER = 200  # a kept order or attempt costs kilobytes: this is none
ONE_STEP = """\
apiVersion: pnp/v1
kind: Order
metadata: {{name: plate-{n}}}
spec:
  product: plate
  quantity: 1
  steps:
    - {{id: cut, capability: cutting.laser}}
"""


# -- 1. takeover ----------------------------------------------------------------------


def fill(path: Path, closed: int, open_: int = OPEN_ORDERS) -> None:
    """``closed`` completed orders and ``open_`` running ones, as a busy factory leaves
    them, written through the store API without fsync."""
    from pnp.orchestrator.domain.attempts import Attempt, AttemptState
    from pnp.orchestrator.domain.events import Event
    from pnp.orchestrator.domain.recipe_loader import load_recipe
    from pnp.orchestrator.store import Store
    from pnp.orchestrator.store.database import StoredOperation

    text = RECIPE_FILE.read_text()
    recipe = load_recipe(text, RECIPE_FILE.name)
    store = Store.open_sqlite(path, synchronous="OFF")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    sequence = 0
    try:
        for n in range(closed + open_):
            done = n < closed
            order = store.add_order(
                request_id=f"history-{n}",
                source=RECIPE_FILE.name,
                recipe_yaml=text,
                state="Completed" if done else "Running",
                submitted_at=t0 + timedelta(minutes=n),
                operations=lambda order_id: StoredOperation.of_order(order_id, recipe),
            )
            events = []
            for k, op in enumerate(store.operations(order.order_id)):
                if not done and k > 0:
                    break  # an open order: its first operation running
                started = t0 + timedelta(minutes=n, seconds=10 * k)
                store.attempts.add(
                    Attempt(
                        execution_id=f"x-{uuid.uuid4().hex[:16]}",
                        operation_id=op.operation_id,
                        order_id=order.order_id,
                        module_id=f"module-{k}",
                        epoch=1,
                        capability=op.capability,
                        parameters=dict(op.parameters),
                        units=op.units,
                        state=AttemptState.COMPLETE if done else AttemptState.RUNNING,
                        started_at=started,
                        ended_at=started + timedelta(seconds=9) if done else None,
                        results={"units": op.units} if done else {},
                    )
                )
                for kind in ("operation.started", "operation.completed"):
                    sequence += 1
                    events.append(Event(sequence, started, kind, op.operation_id, "bench"))
            store.events.append(events)
    finally:
        store.close()


def takeover_child(db: str) -> None:
    """In a fresh process: time ``open_orchestrator`` until it listens; print JSON."""
    from pnp.orchestrator.api.runtime import open_orchestrator
    from pnp.orchestrator.service.settings import FactorySettings

    async def run() -> dict:
        started = time.perf_counter()
        settings = FactorySettings(solve_in_processes=False)
        async with open_orchestrator(db, settings=settings, stop_grace=0.1) as orchestrator:
            listening = time.perf_counter() - started
            factory = orchestrator.factory
            return {
                "takeover_s": listening,
                "open_orders": len(factory.open_orders()),
                "attempts_held": len(factory.ledger),
            }

    print(json.dumps(asyncio.run(run())))


def takeover(db: Path) -> dict:
    out = subprocess.run(
        [PYTHON, __file__, "--takeover-child", str(db)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve_to_listening(db: Path) -> float:
    """``pnp serve``: process start to its "listening" line (then SIGKILL)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [PNP, "serve", "--listen", "127.0.0.1:0", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "listening on" in line:
                return time.perf_counter() - started
        raise RuntimeError("pnp serve ended before listening")
    finally:
        process.kill()
        process.wait()


# -- 2. memory --------------------------------------------------------------------------


def traced_bytes() -> int:
    """Python memory allocated now, leaving out the in-memory modules' journals."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, "*memory_link.py")]
    )
    return sum(stat.size for stat in snapshot.statistics("filename"))


def rss_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_orders(args: argparse.Namespace) -> dict:
    from pnp.orchestrator.api.runtime import open_orchestrator
    from pnp.orchestrator.domain.orders import OrderState
    from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
    from pnp.orchestrator.service.settings import FactorySettings

    lasers = [MemoryModule(f"laser-{i}", ["cutting.laser"]) for i in range(args.modules)]
    for laser in lasers:
        laser.skills["cutting.laser"].complete_on_start = {"units": 1}
    settings = FactorySettings(
        solve_time_limit=0.2,
        solve_in_processes=False,
        heartbeat_interval=60,
        lease_ttl=3600,
    )
    points: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        async with open_orchestrator(
            Path(folder) / "pnp.db",
            settings=settings,
            link_factory=MemoryLinks(*lasers),
            synchronous="OFF",  # the fsync is not what is measured here
            stop_grace=0.1,
        ) as orchestrator:
            factory = orchestrator.factory
            for i, laser in enumerate(lasers):
                await factory.register_module(laser.describe(dock=f"D{i}"), "boot-1")
            submitted, started = 0, time.perf_counter()
            open_ids: set[str] = set()

            def measure(name: str, done: int) -> None:
                gc.collect()
                points[name] = {
                    "orders_completed": done,
                    "traced_mb": traced_bytes() / 2**20,
                    "rss_mb": rss_mb(),
                    "attempts_held": len(factory.ledger),
                    "open_orders": len(factory.open_orders()),
                    "seconds": time.perf_counter() - started,
                }

            done = 0
            while done < args.orders:
                while len(open_ids) < args.window and submitted < args.orders:
                    view = await factory.submit_order(
                        ONE_STEP.format(n=submitted), "plate.yaml", f"mem-{submitted}"
                    )
                    open_ids.add(view.record.order_id)
                    submitted += 1
                await asyncio.sleep(0.05)
                closed = {o for o in open_ids if not factory.is_open(o)}
                for order_id in closed:
                    assert factory.order(order_id).state is OrderState.COMPLETED, order_id
                open_ids -= closed
                before = done
                done += len(closed)
                if before < args.warm <= done:
                    measure("warm", done)
            measure("end", done)
    return points


# -- the run ------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="closed orders, first store")
    parser.add_argument("--large", type=int, default=10_000, help="closed orders, second store")
    parser.add_argument("--repeat", type=int, default=3, help="takeovers measured per store")
    parser.add_argument("--orders", type=int, default=10_000, help="orders run for memory")
    parser.add_argument("--warm", type=int, default=1000, help="orders before the first point")
    parser.add_argument("--modules", type=int, default=16, help="in-memory modules")
    parser.add_argument("--window", type=int, default=60, help="orders open at a time")
    parser.add_argument("--skip-memory", action="store_true", help="takeover only")
    parser.add_argument("--takeover-child", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.warm < args.orders:
        parser.error("need 0 < --warm < --orders")
    return args


def main() -> None:
    args = parse_args()
    if args.takeover_child:
        takeover_child(args.takeover_child)
        return
    load_before = os.getloadavg()
    takeovers: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        for closed in (0, args.small, args.large):
            db = Path(folder) / f"history-{closed}.db"
            began = time.perf_counter()
            fill(db, closed)
            filled = time.perf_counter() - began
            runs = [takeover(db) for _ in range(args.repeat)]
            serve = [serve_to_listening(db) for _ in range(args.repeat)]
            takeovers[closed] = {
                "fill_s": round(filled, 1),
                "db_mb": round(db.stat().st_size / 1e6, 1),
                "takeover_s": [round(r["takeover_s"], 3) for r in runs],
                "serve_to_listening_s": [round(s, 3) for s in serve],
                "open_orders": runs[0]["open_orders"],
                "attempts_held": runs[0]["attempts_held"],
            }
    memory: dict[str, dict] = {}
    if not args.skip_memory:
        tracemalloc.start()
        memory = asyncio.run(run_orders(args))
        tracemalloc.stop()
    load_after = os.getloadavg()

    print("takeover: open_orchestrator called -> listening, and pnp serve start -> listening (s)")
    print(
        f"{'closed orders':>13} {'db MB':>6} {'takeover med':>12} {'max':>6} "
        f"{'serve med':>9} {'max':>6} {'open':>5} {'attempts held':>13}"
    )
    for closed, row in takeovers.items():
        t, s = row["takeover_s"], row["serve_to_listening_s"]
        print(
            f"{closed:>13} {row['db_mb']:>6} {statistics.median(t):>12.3f} {max(t):>6.3f} "
            f"{statistics.median(s):>9.3f} {max(s):>6.3f} {row['open_orders']:>5} "
            f"{row['attempts_held']:>13}"
        )
    worst = max(max(takeovers[args.large]["takeover_s"]), max(takeovers[args.small]["takeover_s"]))
    takeover_ok = worst <= BOUND_TAKEOVER_S
    print(
        f"bound: takeover <= {BOUND_TAKEOVER_S:g} s at every size: worst {worst:.3f} s -> "
        f"{'PASS' if takeover_ok else 'FAIL'}"
    )
    memory_ok = None
    if memory:
        warm, end = memory["warm"], memory["end"]
        grown = (end["traced_mb"] - warm["traced_mb"]) * 2**20
        per_order = grown / max(1, end["orders_completed"] - warm["orders_completed"])
        memory_ok = per_order <= FLAT_BYTES_PER_ORDER
        print(f"\nmemory: {args.orders} one-step orders on {args.modules} in-memory modules")
        print(
            f"{'point':<6} {'completed':>9} {'traced MB':>10} {'RSS MB':>8} "
            f"{'attempts held':>13} {'open':>5} {'s':>7}"
        )
        for name, p in memory.items():
            print(
                f"{name:<6} {p['orders_completed']:>9} {p['traced_mb']:>10.2f} "
                f"{p['rss_mb']:>8.1f} {p['attempts_held']:>13} {p['open_orders']:>5} "
                f"{p['seconds']:>7.1f}"
            )
        print(
            f"bound: flat, <= {FLAT_BYTES_PER_ORDER} B traced per order from warm to end: "
            f"{per_order:.0f} B/order -> {'PASS' if memory_ok else 'FAIL'}"
        )
        memory["bytes_per_order"] = round(per_order, 1)  # type: ignore[assignment]
    print(f"load average before / after: {load_before[0]:.1f} / {load_after[0]:.1f}")
    print(
        json.dumps(
            {
                "benchmark": "history",
                "cores": os.cpu_count(),
                "takeover": {str(k): v for k, v in takeovers.items()},
                "bound_takeover_s": BOUND_TAKEOVER_S,
                "takeover_pass": takeover_ok,
                "memory": memory,
                "bound_bytes_per_order": FLAT_BYTES_PER_ORDER,
                "memory_pass": memory_ok,
                "load_average": [round(load_before[0], 1), round(load_after[0], 1)],
                "pass": takeover_ok and memory_ok is not False,
            }
        )
    )


if __name__ == "__main__":
    main()
