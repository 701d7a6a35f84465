"""Benchmark: what durability costs, and how fast a killed orchestrator is back.

1. **Acknowledgement latency.** A real orchestrator (in this process, gRPC on
   loopback, a fresh SQLite file) takes ``--orders`` SubmitOrder calls one after
   another; each answer comes only after the order and its operations are committed.
   Measured with ``synchronous=FULL`` (what pnp runs: the commit is on disk before
   the answer) and, in the same run, ``synchronous=NORMAL`` (the peer: what skipping
   the fsync would save, at the price of losing acknowledged orders in a power cut).
2. **Restart.** ``pnp serve`` is started on a database holding ``--history`` orders
   (each with operations, attempts, events and a stored plan) and, in the same run, on
   an empty one; measured: process start to "listening" (orders, attempts and the
   newest plan reloaded). Each start is followed by a SIGKILL, as in the chaos test.

    .venv/bin/python bench/durability.py [--orders 200] [--history 2000] [--repeat 3]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pnp.orchestrator.domain.attempts import Attempt, AttemptState  # noqa: E402
from pnp.orchestrator.domain.events import Event  # noqa: E402
from pnp.orchestrator.domain.recipe_loader import load_recipe  # noqa: E402
from pnp.orchestrator.store import Store  # noqa: E402
from pnp.orchestrator.store.database import StoredOperation  # noqa: E402

RECIPE = (REPO / "recipes" / "orders" / "city-bike-frame.yaml").read_text()
PNP = str(Path(sys.executable).parent / "pnp")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def acknowledgement_latencies(orders: int, synchronous: str) -> list[float]:
    from pnp.orchestrator.api.runtime import open_orchestrator
    from pnp.orchestrator.cli.client import OrchestratorClient
    from pnp.orchestrator.service.settings import FactorySettings

    latencies = []
    with tempfile.TemporaryDirectory() as folder:
        async with (
            open_orchestrator(
                Path(folder) / "pnp.db",
                settings=FactorySettings(solve_time_limit=1.0),
                synchronous=synchronous,
                stop_grace=0.2,
            ) as orchestrator,
            OrchestratorClient(orchestrator.address) as client,
        ):
            for n in range(orders):
                started = time.perf_counter()
                await client.submit_order(RECIPE, "bench.yaml", f"bench-{n}-{uuid.uuid4()}")
                latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def fill_history(path: Path, orders: int) -> None:
    """A database as a busy factory leaves it: orders with operations, one attempt per
    operation (most complete, a few in flight) and events. Written without fsync:
    this is set-up, not what is measured."""
    store = Store.open_sqlite(path, synchronous="OFF")
    recipe = load_recipe(RECIPE, "bench.yaml")
    now = datetime.now(UTC)
    sequence = 0
    try:
        for n in range(orders):
            stored = store.add_order(
                request_id=f"history-{n}",
                source="bench.yaml",
                recipe_yaml=RECIPE,
                state="Completed" if n < orders - 20 else "Running",
                submitted_at=now,
                operations=lambda order_id: StoredOperation.of_order(order_id, recipe),
            )
            events = []
            for op in store.operations(stored.order_id):
                done = n < orders - 20
                store.attempts.add(
                    Attempt(
                        execution_id=f"x-{uuid.uuid4().hex[:16]}",
                        operation_id=op.operation_id,
                        order_id=stored.order_id,
                        module_id="laser-cutter-a1",
                        epoch=1,
                        capability=op.capability,
                        parameters=dict(op.parameters),
                        units=op.units,
                        state=AttemptState.COMPLETE if done else AttemptState.RUNNING,
                        started_at=now,
                        ended_at=now + timedelta(seconds=60) if done else None,
                    )
                )
                for kind in ("operation.started", "operation.completed"):
                    sequence += 1
                    events.append(Event(sequence, now, kind, op.operation_id, "bench"))
            store.events.append(events)
    finally:
        store.close()


def time_to_listening(db: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [PNP, "serve", "--listen", "127.0.0.1:0", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in process.stdout:
            if "listening on" in line:
                return time.perf_counter() - started
        raise RuntimeError("pnp serve ended before listening")
    finally:
        process.kill()  # as in the chaos test: no goodbye
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="SubmitOrder calls per mode")
    parser.add_argument("--history", type=int, default=2000, help="orders in the big database")
    parser.add_argument("--repeat", type=int, default=3, help="restarts measured per database")
    args = parser.parse_args()

    ack = {
        mode: asyncio.run(acknowledgement_latencies(args.orders, mode))
        for mode in ("FULL", "NORMAL")
    }

    with tempfile.TemporaryDirectory() as folder:
        big, empty = Path(folder) / "big.db", Path(folder) / "empty.db"
        fill_history(big, args.history)
        Store.open_sqlite(empty).close()
        restart = {
            "empty": [time_to_listening(empty) for _ in range(args.repeat)],
            f"{args.history} orders": [time_to_listening(big) for _ in range(args.repeat)],
        }
        size_mb = big.stat().st_size / 1e6

    print(f"SubmitOrder acknowledgement, {args.orders} orders one after another (ms)")
    print(f"{'synchronous':<12} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for mode, values in ack.items():
        print(
            f"{mode:<12} {percentile(values, 50):8.2f} {percentile(values, 95):8.2f} "
            f"{percentile(values, 99):8.2f} {max(values):8.2f}"
        )
    print(f"\nrestart after SIGKILL: process start to listening (s), {args.repeat} runs")
    print(f"{'database':<20} {'median':>8} {'max':>8}")
    for name, values in restart.items():
        print(f"{name:<20} {statistics.median(values):8.2f} {max(values):8.2f}")
    print(f"(the {args.history}-order database is {size_mb:.1f} MB)")
    print(
        json.dumps(
            {
                "bench": "durability",
                "orders": args.orders,
                "ack_ms": {
                    mode: {
                        "p50": round(percentile(v, 50), 3),
                        "p95": round(percentile(v, 95), 3),
                        "p99": round(percentile(v, 99), 3),
                        "max": round(max(v), 3),
                    }
                    for mode, v in ack.items()
                },
                "restart_s": {
                    name: {"median": round(statistics.median(v), 3), "max": round(max(v), 3)}
                    for name, v in restart.items()
                },
                "history_orders": args.history,
                "history_db_mb": round(size_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
