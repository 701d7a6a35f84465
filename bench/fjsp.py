"""Benchmark: our scheduler against PyJobShop on the standard FJSP instances.

For each instance: the best-known makespan (bks.csv), our makespan, proven lower
bound, wall time and the time the returned plan was found, and PyJobShop's makespan
and bound, run on the same parsed instance with the same time limit, workers and
seed, right after ours in this process. Every schedule of both solvers goes through
``scheduler.check_schedule``.

Which instances: ``--instances`` (names from bks.csv or paths; default Brandimarte
mk01-mk10), or ``--sample N --seed S``, a seeded draw of N instances spread evenly
over every family of bks.csv (Brandimarte, Hurink s/e/r/v, Dauzère-Pérès,
Chambers-Barnes, Kacem, Fattahi, Behnke-Geiger); ``--families`` narrows the draw.
A sample prints one table per family, then a summary per family and overall.

    .venv/bin/python bench/fjsp.py [--instances mk01,...,mk10 | --sample N]
        [--time-limit 10] [--workers 2] [--seed 0] [--families set,...]
        [--data ../shared/benchmarks/fjsp] [--no-peer]

PyJobShop comes from the optional extra: ``.venv/bin/pip install -e ".[bench]"``.
Prints the tables, then one JSON line with the summaries and every row (the schedules
themselves are in ``pnp bench fjsp ... --json``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

from rich.console import Console

from pnp.orchestrator.cli.bench_commands import (
    InstanceRow,
    best_known,
    data_folder,
    peer_available,
    render_table,
    resolve_instance,
    run_instance,
    summary,
)

BRANDIMARTE = ",".join(f"mk{k:02d}" for k in range(1, 11))


def draw_sample(
    bks: dict[str, dict[str, str]], size: int, seed: int, families: list[str] | None
) -> list[str]:
    """``size`` instance files spread evenly over the families (seeded).

    Families take turns in a seeded order, each giving its next instance from a seeded
    shuffle, so every family is represented once ``size`` reaches the number of
    families and small families (Kacem has 4) run out without skewing the rest.
    """
    by_family: dict[str, list[str]] = defaultdict(list)
    for file, row in sorted(bks.items()):
        if families is None or row["set"] in families:
            by_family[row["set"]].append(file)
    rng = random.Random(seed)
    order = sorted(by_family)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(by_family[name])
    drawn: list[str] = []
    while len(drawn) < size and any(by_family.values()):
        for name in order:
            if by_family[name] and len(drawn) < size:
                drawn.append(by_family[name].pop())
    return drawn


def head_to_head(rows: list[InstanceRow]) -> dict:
    """``summary`` plus the comparison with the peer counted on every instance: a peer
    that found no schedule in the time limit loses to any schedule of ours."""
    figures = summary(rows)
    peer_rows = [r for r in rows if r.pyjobshop is not None]
    no_plan = [r for r in peer_rows if r.pyjobshop.makespan is None]
    ours_not_worse = sum(
        1
        for r in peer_rows
        if r.ours.makespan is not None
        and (r.pyjobshop.makespan is None or r.ours.makespan <= r.pyjobshop.makespan)
    )
    figures["pyjobshop_no_plan"] = len(no_plan)
    figures["ours_better"] += sum(1 for r in no_plan if r.ours.makespan is not None)
    # Only schedules count as valid or not: "no plan in time" is not an invalid plan.
    figures["pyjobshop_all_valid"] = (
        all(r.pyjobshop.valid for r in peer_rows if r.pyjobshop.makespan is not None)
        if peer_rows
        else None
    )
    figures["ours_not_worse_pct"] = (
        round(100.0 * ours_not_worse / len(peer_rows), 1) if peer_rows else None
    )
    return figures


def family_summaries(rows: list[InstanceRow], families: dict[str, str]) -> dict[str, dict]:
    grouped: dict[str, list[InstanceRow]] = defaultdict(list)
    for r in rows:
        grouped[families.get(r.file, "other")].append(r)
    return {name: head_to_head(group) for name, group in sorted(grouped.items())}


def render_summaries(per_family: dict[str, dict], overall: dict):
    from rich.table import Table

    table = Table(title="Per family: ours vs PyJobShop (mean deviation from best known)")
    for header in (
        "family", "n", "ours dev %", "PJS dev %", "ours at BKS",
        "better", "equal", "WORSE", "PJS no plan", "ours <= PJS %", "valid",
    ):  # fmt: skip
        table.add_column(header, justify="left" if header == "family" else "right")
    for name, s in [*per_family.items(), ("all", overall)]:
        table.add_row(
            name,
            str(s["instances"]),
            _text(s["ours_mean_deviation_pct"]),
            _text(s["pyjobshop_mean_deviation_pct"]),
            str(s["ours_at_bks"]),
            str(s["ours_better"]),
            str(s["equal"]),
            str(s["pyjobshop_better"]),
            str(s["pyjobshop_no_plan"]),
            _text(s["ours_not_worse_pct"]),
            "yes" if s["all_valid"] and s["pyjobshop_all_valid"] in (True, None) else "NO",
        )
    return table


def _text(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default=None, help="names from bks.csv or paths")
    parser.add_argument("--sample", type=int, default=None, help="draw N across the families")
    parser.add_argument("--families", default=None, help="with --sample: sets from bks.csv")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="solver seed and sample seed")
    parser.add_argument("--data", default=None, help="benchmark folder (default: shared)")
    parser.add_argument("--no-peer", action="store_true", help="skip PyJobShop")
    args = parser.parse_args()
    if args.sample is not None and args.instances is not None:
        sys.exit("give --instances or --sample, not both")

    folder = data_folder(args.data)
    if not (folder / "bks.csv").is_file():
        sys.exit(f"no bks.csv in {folder}: pass --data DIR (the FJSP benchmark folder)")
    bks = best_known(folder)
    with_peer = not args.no_peer
    if with_peer and not peer_available():
        sys.exit("PyJobShop is not installed: .venv/bin/pip install -e '.[bench]' (or --no-peer)")
    if args.sample is not None:
        families = args.families.split(",") if args.families else None
        known = {row["set"] for row in bks.values()}
        if families is not None and not set(families) <= known:
            sys.exit(f"unknown families {sorted(set(families) - known)}; known: {sorted(known)}")
        names = draw_sample(bks, args.sample, args.seed, families)
    else:
        names = (args.instances or BRANDIMARTE).split(",")

    console = Console(stderr=True)
    load_before = os.getloadavg()
    rows = []
    for name in names:
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
        r = rows[-1]
        peer = r.pyjobshop.makespan if r.pyjobshop else "-"
        console.print(f"{r.instance}: ours {r.ours.makespan}, PJS {peer}, BKS {r.bks}", style="dim")

    out = Console(width=200)
    family_of = {file: row["set"] for file, row in bks.items()}
    per_family = family_summaries(rows, family_of)
    for name in per_family:
        out.print(render_table([r for r in rows if family_of.get(r.file, "other") == name]))
    overall = head_to_head(rows)
    out.print(render_summaries(per_family, overall))
    record = {
        "benchmark": "fjsp",
        "time_limit": args.time_limit,
        "workers": args.workers,
        "seed": args.seed,
        "sample": args.sample,
        "data": str(Path(folder)),
        "load_average_before_after": [load_before, os.getloadavg()],
        "summary": overall,
        "families": per_family,
        "rows": [r.to_json(with_schedule=False) for r in rows],
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
