"""Benchmark: planning a large synthetic factory (the scale target of the scheduler issue).

A seeded generator builds a factory that looks like the ones pnp plans: 40 modules
of eight kinds on a grid of docks (transport time grows with the distance between
docks), paint booths with colour changeovers, batch heat-treatment ovens, two
modules with a maintenance window, and 300 orders of six steps each (1800
operations), every step runnable on two or three of the five modules of its kind,
with releases, due dates and weights. The objective is the default ranking:
weighted tardiness, then makespan.

It reports the time to the first feasible plan (and who found it), the time of
CP-SAT's first plan, and the objective (weighted tardiness and makespan) at 10 s and
at the end of the run (60 s by default), with the proven bound. The final plan goes
through ``scheduler.check_schedule``.

    .venv/bin/python bench/scale.py [--seed 0] [--time-limit 60] [--checkpoint 10]
        [--workers 2] [--orders 300] [--modules 40]

Prints a table, then one JSON line. ``bench/replan.py`` reuses the generator.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import time

from rich.console import Console
from rich.table import Table

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Operation,
    Precedence,
    Problem,
    Progress,
    SolveOptions,
    Window,
    check_schedule,
    solve,
)

KINDS = ("cutting", "milling", "welding", "painting", "assembly", "inspection", "packing", "heat")
# Recipe templates: six steps; (step, steps it waits for). Two have a parallel branch.
TEMPLATES = (
    (("cutting", ()), ("milling", (0,)), ("welding", (1,)), ("painting", (2,)),
     ("inspection", (3,)), ("packing", (4,))),
    (("cutting", ()), ("heat", (0,)), ("milling", (0,)), ("assembly", (1, 2)),
     ("inspection", (3,)), ("packing", (4,))),
    (("cutting", ()), ("welding", (0,)), ("heat", (1,)), ("painting", (2,)),
     ("assembly", (3,)), ("packing", (4,))),
    (("milling", ()), ("welding", (0,)), ("painting", (0,)), ("assembly", (1, 2)),
     ("inspection", (3,)), ("packing", (4,))),
)  # fmt: skip
COLOURS = ("white", "grey", "red", "blue")
SECONDS_PER_CELL = 15  # transport per grid cell between docks, plus a fixed handling time
HANDLING = 20


def synthetic_factory(seed: int, modules: int = 40, orders: int = 300) -> Problem:
    """A seeded factory: ``modules`` (a multiple of 8 works best) and ``orders`` x 6 steps."""
    rng = random.Random(seed)
    kinds = [KINDS[m % len(KINDS)] for m in range(modules)]
    side = max(10, math.ceil(math.sqrt(2.5 * modules)))  # 10 x 10 up to 40 modules
    docks = rng.sample([(x, y) for x in range(side) for y in range(side)], modules)
    speed = [rng.uniform(0.8, 1.25) for _ in range(modules)]
    maintained = set(rng.sample(range(modules), 2))
    machines = []
    for m, kind in enumerate(kinds):
        changeovers = ()
        if kind == "painting":
            changeovers = tuple(
                Changeover(a, b, rng.randint(60, 240)) for a in COLOURS for b in COLOURS if a != b
            )
        availability = None
        if m in maintained:
            start = rng.randint(1, 4) * 3600
            availability = (Window(None, start), Window(start + 1800, None))
        machines.append(
            Machine(
                f"{kind}-{m:02d}",
                capacity=3 if kind == "heat" else 1,
                availability=availability,
                changeovers=changeovers,
            )
        )
    transport = tuple(
        tuple(
            0
            if a == b
            else HANDLING
            + SECONDS_PER_CELL * (abs(docks[a][0] - docks[b][0]) + abs(docks[a][1] - docks[b][1]))
            for b in range(modules)
        )
        for a in range(modules)
    )
    by_kind = {kind: [m for m in range(modules) if kinds[m] == kind] for kind in KINDS}

    jobs, operations, precedences = [], [], []
    for j in range(orders):
        template = rng.choice(TEMPLATES)
        colour = rng.choice(COLOURS)
        release = 0 if rng.random() < 0.7 else rng.randint(0, 3600)
        jobs.append(
            Job(
                f"order-{j:03d}",
                weight=rng.randint(1, 3),
                due=release + rng.randint(2 * 3600, 8 * 3600),
                release=release,
            )
        )
        first = len(operations)
        for step, (kind, after) in enumerate(template):
            base = rng.randint(120, 600)
            capable = rng.sample(by_kind[kind], min(len(by_kind[kind]), rng.randint(2, 3)))
            family = colour if kind == "painting" else None
            modes = tuple(Mode(m, round(base * speed[m]), family) for m in sorted(capable))
            operations.append(Operation(f"order-{j:03d}/{step + 1}-{kind}", j, modes))
            precedences += [Precedence(first + before, first + step) for before in after]
    return Problem(tuple(machines), tuple(jobs), tuple(operations), tuple(precedences), transport)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--checkpoint", type=float, default=10.0, help="also report at this time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--modules", type=int, default=40)
    args = parser.parse_args()

    started = time.monotonic()
    problem = synthetic_factory(args.seed, args.modules, args.orders)
    generated = time.monotonic() - started
    events: list[Progress] = []
    result = solve(
        problem,
        SolveOptions(
            time_limit=args.time_limit, workers=args.workers, seed=args.seed,
            on_progress=events.append,
        ),
    )  # fmt: skip
    violations = check_schedule(problem, result)

    def split(objective: float | None) -> tuple[int | None, int | None]:
        """(weighted tardiness, makespan) of an objective value on the result's scale."""
        if objective is None:
            return None, None
        if result.tardiness_weight == 0:
            return 0, int(objective)
        return divmod(int(objective), result.tardiness_weight)

    def at(seconds: float) -> Progress | None:
        reached = [e for e in events if e.seconds <= seconds and e.objective is not None]
        return reached[-1] if reached else None

    # CP-SAT on the whole model ("cp-sat") or on slices of the plan ("cp-sat lns").
    first_cp_sat = next((e.seconds for e in events if e.found_by.startswith("cp-sat")), None)
    checkpoint = at(args.checkpoint)
    record = {
        "benchmark": "scale",
        "seed": args.seed,
        "workers": args.workers,
        "time_limit": args.time_limit,
        "modules": len(problem.machines),
        "orders": len(problem.jobs),
        "operations": len(problem.operations),
        "generate_seconds": round(generated, 3),
        "first_plan_seconds": round(result.first_solution_seconds or -1, 3),
        "first_plan_by": events[0].found_by if events else None,
        "first_cp_sat_plan_seconds": None if first_cp_sat is None else round(first_cp_sat, 3),
        "checkpoint_seconds": args.checkpoint,
        "checkpoint_tardiness_makespan": split(checkpoint.objective if checkpoint else None),
        "checkpoint_found_by": checkpoint.found_by if checkpoint else None,
        "final_tardiness_makespan": (result.weighted_tardiness, result.makespan),
        "final_found_by": result.found_by,
        "final_bound_tardiness_makespan": split(result.bound),
        "status": result.status.value,
        "solve_seconds": round(result.solve_seconds, 3),
        "valid": result.has_solution and not violations,
        # Peak resident memory of this process (generator, model, solver), in MB.
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "violations": violations[:5],
    }
    table = Table(title=f"Scale: {record['operations']} operations on {record['modules']} modules")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "first_plan_seconds", "first_plan_by", "first_cp_sat_plan_seconds",
        "checkpoint_tardiness_makespan", "checkpoint_found_by", "final_tardiness_makespan",
        "final_found_by", "final_bound_tardiness_makespan", "status", "solve_seconds", "valid",
        "peak_memory_mb",
    ):  # fmt: skip
        table.add_row(key, str(record[key]))
    Console().print(table)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
