"""Benchmark: our scheduler against PyJobShop on the Brandimarte FJSP instances.

For each instance (default mk01-mk10): the best-known makespan (bks.csv), our
makespan, proven lower bound, wall time and the time the returned plan was found,
and PyJobShop's makespan and bound, run on the same parsed instance with the same
time limit, workers and seed, right after ours in this process. Every schedule of
both solvers goes through ``scheduler.check_schedule``.

    .venv/bin/python bench/fjsp.py [--instances mk01,...,mk10] [--time-limit 10]
        [--workers 2] [--seed 0] [--data ../shared/benchmarks/fjsp] [--no-peer]

PyJobShop comes from the optional extra: ``.venv/bin/pip install -e ".[bench]"``.
Prints a table, then one JSON line with the summary and every row (the schedules
themselves are in ``pnp bench fjsp ... --json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from pnp.orchestrator.cli.bench_commands import (
    best_known,
    data_folder,
    peer_available,
    render_table,
    resolve_instance,
    run_instance,
    summary,
)

BRANDIMARTE = ",".join(f"mk{k:02d}" for k in range(1, 11))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default=BRANDIMARTE, help="names from bks.csv or paths")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=None, help="benchmark folder (default: shared)")
    parser.add_argument("--no-peer", action="store_true", help="skip PyJobShop")
    args = parser.parse_args()

    folder = data_folder(args.data)
    if not (folder / "bks.csv").is_file():
        sys.exit(f"no bks.csv in {folder}: pass --data DIR (the FJSP benchmark folder)")
    bks = best_known(folder)
    with_peer = not args.no_peer
    if with_peer and not peer_available():
        sys.exit("PyJobShop is not installed: .venv/bin/pip install -e '.[bench]' (or --no-peer)")
    console = Console(stderr=True)
    rows = []
    for name in args.instances.split(","):
        path = resolve_instance(name, folder, bks)
        rows.append(
            run_instance(
                path,
                folder,
                bks,
                time_limit=args.time_limit,
                workers=args.workers,
                seed=args.seed,
                with_peer=with_peer,
            )
        )
        console.print(f"{rows[-1].instance} done", style="dim")
    Console(width=200).print(render_table(rows))
    record = {
        "benchmark": "fjsp",
        "time_limit": args.time_limit,
        "workers": args.workers,
        "seed": args.seed,
        "data": str(Path(folder)),
        "summary": summary(rows),
        "rows": [r.to_json(with_schedule=False) for r in rows],
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
