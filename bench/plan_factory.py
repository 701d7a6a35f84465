"""Benchmark: planning the demo factory as the order book grows.

Pure planner path (no servers): the example recipes, submitted N times each, on the
demo floor's ten modules with the demo layout's transport times. For each N it prints
the number of operations, the plan's status, makespan, weighted tardiness, the
CP-SAT objective and its proven lower bound (the bound is the comparison: how far
from provably optimal the plan is), and the wall time of the solve.

    .venv/bin/python bench/plan_factory.py [--sizes 1,5,10,20] [--time-limit 10] [--workers 2]

Prints a table, then one JSON line with every row.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from pnp.orchestrator.api.convert import description_from_proto
from pnp.orchestrator.cli.demo import DEMO_FLOOR
from pnp.orchestrator.domain.layout import load_layout_file
from pnp.orchestrator.domain.orders import OrderRecord, OrderState
from pnp.orchestrator.domain.recipe_loader import load_recipe_file
from pnp.orchestrator.planning import PlanningInput, plan_factory
from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto

REPO = Path(__file__).resolve().parents[1]
ORIGIN = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def demo_modules():
    catalog = load_catalog()
    return tuple(
        description_from_proto(
            to_proto(
                catalog.module_type(kind),
                module_id=f"{kind}-{dock}".lower(),
                dock=dock,
                serial=f"B-{dock}",
                kind=kind,
            )
        )
        for kind, dock in DEMO_FLOOR
    )


def order_book(copies: int) -> tuple[OrderRecord, ...]:
    files = sorted((REPO / "recipes" / "orders").glob("*.yaml"))
    recipes = [(path, load_recipe_file(path)) for path in files]
    return tuple(
        OrderRecord(
            order_id=f"ord-{n:05d}",
            request_id=f"bench-{n}",
            source=str(path),
            recipe_yaml="",
            recipe=recipe,
            state=OrderState.ALLOWED_TO_START,
            submitted_at=ORIGIN,
        )
        for n, (path, recipe) in enumerate(
            (item for _ in range(copies) for item in recipes), start=1
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,5,10,20", help="copies of each example order")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    layout = load_layout_file(REPO / "recipes" / "layouts" / "demo-factory.yaml")
    modules = demo_modules()
    rows = []
    header = (
        f"{'orders':>6} {'ops':>5} {'status':>9} {'makespan_s':>11} {'w_tardy_s':>10} "
        f"{'objective':>14} {'bound':>14} {'gap':>7} {'wall_s':>7}"
    )
    print(header)
    for copies in (int(s) for s in args.sizes.split(",")):
        orders = order_book(copies)
        started = time.perf_counter()
        plan = plan_factory(
            PlanningInput(
                orders=orders,
                modules=modules,
                layout=layout,
                origin=ORIGIN,
                version=1,
                time_limit=args.time_limit,
                workers=args.workers,
            )
        )
        wall = time.perf_counter() - started
        gap = (plan.objective - plan.objective_bound) / max(1.0, abs(plan.objective))
        row = {
            "orders": len(orders),
            "operations": len(plan.assignments),
            "status": plan.status.value,
            "makespan_s": plan.makespan_seconds,
            "weighted_tardiness_s": plan.weighted_tardiness_seconds,
            "objective": plan.objective,
            "bound": plan.objective_bound,
            "gap": round(gap, 6),
            "wall_s": round(wall, 3),
        }
        rows.append(row)
        print(
            f"{row['orders']:>6} {row['operations']:>5} {row['status']:>9} "
            f"{row['makespan_s']:>11.0f} {row['weighted_tardiness_s']:>10.0f} "
            f"{row['objective']:>14.0f} {row['bound']:>14.0f} {gap:>7.2%} {wall:>7.2f}"
        )
        sys.stdout.flush()
    print(
        json.dumps(
            {
                "benchmark": "plan_factory",
                "time_limit": args.time_limit,
                "workers": args.workers,
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
