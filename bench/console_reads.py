"""Benchmark: what one refresh of the console (and of `pnp status`, and a /metrics
scrape) reads does not grow with the factory's history (HA issue, item 7).

A store is filled with ``--attempts`` settled attempts (completed, each with
``--samples`` condition readings and as many power readings) spread over ``--modules``
registered modules, written straight to SQLite (set-up, not measured). Then, in the
same run and on the same file, each read is timed ``--repeat`` times (median):

- **health, bounded**: every module's health score as the console, `pnp status` and
  /metrics get it now (``TwinService.health``: each module's first and latest
  executions and their condition telemetry);
- **health, whole history**: the same scores computed the way they were before, from
  every attempt and every condition reading (the peer: what each refresh cost);
- **attempts, unpaged**: an unpaged ListAttempts for every order, as `pnp status` and
  the console's floor page ask for it now (held attempts and the 500 most recent);
- **attempts, whole history**: what that request answered before (every attempt);
- **attempts, one page**: a ListAttempts page of 100 from the middle of the history.

The two "bounded" rows must not grow with ``--attempts``: run it at two sizes. The
scores of the two health rows are compared (they must be equal).

    .venv/bin/python bench/console_reads.py [--attempts 30000] [--modules 20]
        [--samples 3] [--repeat 5]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from pnp.orchestrator.domain.attempts import AttemptState
from pnp.orchestrator.domain.modules import (
    CapabilityOffer,
    ModuleDescription,
    TimeModel,
    UtilityNeeds,
)
from pnp.orchestrator.service.attempt_pages import UNPAGED, AttemptPage, token_after
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.module_health import condition_means, execution_samples
from pnp.orchestrator.service.twin import TwinService
from pnp.orchestrator.store import Store, schema
from pnp.orchestrator.twin.health import CONDITION_CHANNELS, HealthSettings, health_of

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CAPABILITY = "cutting.laser"


def description(module_id: str) -> ModuleDescription:
    return ModuleDescription(
        module_id=module_id,
        vendor="bench",
        model="laser",
        serial=module_id,
        footprint="ISO 20ft",
        dock="",
        opcua_endpoint="",
        kind="laser-cutter",
        capabilities=(
            CapabilityOffer(CAPABILITY, (), TimeModel(setup_seconds=60, seconds_per_unit=30)),
        ),
        utilities=UtilityNeeds(),
    )


def fill(db: Path, attempts: int, modules: int, samples: int) -> None:
    store = Store.open_sqlite(db)
    try:
        module_ids = [f"laser-{k:03d}" for k in range(modules)]
        rows, readings = [], []
        for n in range(attempts):
            module_id = module_ids[n % modules]
            start = T0 + timedelta(seconds=30 * n)
            execution_id = f"x-{n:08d}"
            rows.append(
                {
                    "execution_id": execution_id,
                    "operation_id": f"ord-{n // 3:06d}/op-{n % 3}",
                    "order_id": f"ord-{n // 3:06d}",
                    "module_id": module_id,
                    "epoch": 1,
                    "capability": CAPABILITY,
                    "parameters_json": "{}",
                    "units": 1,
                    "state": AttemptState.COMPLETE.value,
                    "started_at": start.isoformat(),
                    "ended_at": (start + timedelta(seconds=90 + n % 11)).isoformat(),
                    "results_json": "{}",
                    "error": "",
                }
            )
            for k in range(samples):
                at = (start + timedelta(seconds=10 * k)).isoformat()
                vibration = 1.0 + 0.01 * (n % 13)
                for name, value in ((CONDITION_CHANNELS[0], vibration), ("PowerKw", 4.0)):
                    readings.append(
                        {
                            "execution_id": execution_id,
                            "module_id": module_id,
                            "name": name,
                            "time": at,
                            "value": value,
                        }
                    )
        with store.engine.begin() as connection:
            connection.execute(
                insert(schema.modules),
                [
                    {
                        "module_id": m,
                        "epoch": 1,
                        "boot_id": "bench",
                        "descriptor_json": json.dumps(dataclasses.asdict(description(m))),
                        "registered_at": T0.isoformat(),
                    }
                    for m in module_ids
                ],
            )
            connection.execute(insert(schema.attempts), rows)
            connection.execute(insert(schema.telemetry_samples), readings)
    finally:
        store.close()


def whole_history_health(store: Store, module_ids: list[str]):
    """The scores as they were computed before: every attempt, every condition reading."""
    attempts = store.attempts.all()
    conditions = condition_means(
        store.twin.channels([a.execution_id for a in attempts], CONDITION_CHANNELS)
    )
    scores = []
    for m in module_ids:
        of_module = [a for a in attempts if a.module_id == m]
        samples = execution_samples(description(m), of_module, conditions)
        scores.append(health_of(m, samples, HealthSettings()))
    return scores


async def median_seconds(read: Callable[[], Awaitable[object]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await read()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def measure(db: Path, args: argparse.Namespace) -> dict:
    factory = Factory(Store.open_sqlite(db))
    try:
        twin = TwinService(factory)
        module_ids = [f"laser-{k:03d}" for k in range(args.modules)]
        middle = factory.store.attempts.all()[args.attempts // 2]  # set-up, not measured
        page = AttemptPage.of_request(100, token_after(middle))
        bounded = [h for h, _ in await twin.health()]
        whole = await asyncio.to_thread(whole_history_health, factory.store, module_ids)
        same_scores = [dataclasses.replace(h, samples=0) for h in bounded] == [
            dataclasses.replace(h, samples=0) for h in whole
        ]
        figures = {
            "health_bounded_s": await median_seconds(twin.health, args.repeat),
            "health_whole_history_s": await median_seconds(
                lambda: asyncio.to_thread(whole_history_health, factory.store, module_ids),
                args.repeat,
            ),
            "attempts_unpaged_s": await median_seconds(
                lambda: factory.attempts_page(UNPAGED), args.repeat
            ),
            "attempts_whole_history_s": await median_seconds(
                lambda: asyncio.to_thread(factory.store.attempts.all), args.repeat
            ),
            "attempts_one_page_s": await median_seconds(
                lambda: factory.attempts_page(page), args.repeat
            ),
        }
        unpaged, _ = await factory.attempts_page(UNPAGED)
        return {
            **figures,
            "same_scores": same_scores,
            "unpaged_attempts": len(unpaged),
            "scored_modules": sum(h.score is not None for h in bounded),
        }
    finally:
        factory.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=30_000, help="settled attempts stored")
    parser.add_argument("--modules", type=int, default=20, help="modules they ran on")
    parser.add_argument("--samples", type=int, default=3, help="readings per channel per attempt")
    parser.add_argument("--repeat", type=int, default=5, help="timings per read (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pnp-console-reads-") as folder:
        db = Path(folder) / "pnp.db"
        print(f"filling {args.attempts} attempts on {args.modules} modules...", file=sys.stderr)
        fill(db, args.attempts, args.modules, args.samples)
        result = asyncio.run(measure(db, args))
    print(f"{'read':<28} {'median s':>10}")
    for key in (
        "health_bounded_s",
        "health_whole_history_s",
        "attempts_unpaged_s",
        "attempts_whole_history_s",
        "attempts_one_page_s",
    ):
        print(f"{key.removesuffix('_s'):<28} {result[key]:>10.4f}")
    print(
        f"same scores both ways: {result['same_scores']}; modules scored: "
        f"{result['scored_modules']}/{args.modules}; unpaged answer: "
        f"{result['unpaged_attempts']} attempts"
    )
    print(json.dumps({"bench": "console_reads", "attempts": args.attempts, **result}))


if __name__ == "__main__":
    main()
