"""Benchmark: the tabu search alone, by CPU time, so figures hold on a loaded machine.

Wall-clock runs (``bench/fjsp.py``) on a shared 2-core machine measure the load as
much as the search. This one runs ``heuristics.local_search`` from the dispatch plan
on one thread and stops it by the process's CPU time: per instance, moves per CPU
second over a fixed number of moves, and the makespan after a fixed CPU budget for
each seed; then the mean deviation from best known.

    .venv/bin/python bench/tabu.py [--instances behnke17,...] [--cpu-seconds 3]
        [--moves 1500] [--seeds 0,1] [--data ../shared/benchmarks/fjsp]

To measure another checkout's search, run it with ``PYTHONPATH=<checkout>/src``.
"""

from __future__ import annotations

import argparse
import csv
import time

from pnp.orchestrator.cli.bench_commands import data_folder
from pnp.scheduler.fjsp import parse_fjs
from pnp.scheduler.heuristics import local_search
from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.metrics import makespan

# Large instances of the families where the improve phase matters (issue 16).
LARGE = "behnke17,behnke15,dpp13a,dpp01a,seti5xyz,abz9_sdata,mk10,la34_edata"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default=LARGE, help="names from bks.csv")
    parser.add_argument("--cpu-seconds", type=float, default=3.0)
    parser.add_argument("--moves", type=int, default=1500, help="for moves per CPU second")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--data", default=None, help="benchmark folder (default: shared)")
    args = parser.parse_args()
    folder = data_folder(args.data)
    move_limit: int = args.moves
    with (folder / "bks.csv").open() as f:
        bks = {row["instance"]: row for row in csv.DictReader(f)}
    ratios = []
    for name in args.instances.split(","):
        row = bks[name]
        problem = parse_fjs((folder / row["file"]).read_text(), name).to_problem()
        first = dispatch(problem)
        assert first is not None
        moves = 0

        def enough_moves() -> bool:
            nonlocal moves
            moves += 1
            return moves > move_limit

        started = time.process_time()
        local_search.improve(
            problem, first, seed=0, should_stop=enough_moves, on_improvement=lambda _: None
        )
        rate = move_limit / (time.process_time() - started)
        results = []
        for seed in (int(s) for s in args.seeds.split(",")):
            stop_at = time.process_time() + args.cpu_seconds
            best = local_search.improve(
                problem,
                first,
                seed=seed,
                should_stop=lambda stop_at=stop_at: time.process_time() >= stop_at,
                on_improvement=lambda _: None,
            )
            results.append(makespan(best))
            ratios.append(makespan(best) / int(row["upper_bound"]))
        print(f"{name}: {rate:.0f} moves/CPU s; after {args.cpu_seconds} CPU s {results}")
    print(f"mean deviation from best known: {100 * (sum(ratios) / len(ratios) - 1):.2f} %")


if __name__ == "__main__":
    main()
