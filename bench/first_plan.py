"""Benchmark: time to the first valid plan on a large factory, the dispatcher before and after.

``bench/scale.py`` runs a whole solve (a minute) to report when the first plan came;
this times only that: ``solve`` on ``bench/scale.py``'s factory (10,002 operations on
150 modules by default) with a short budget, reading ``first_solution_seconds``, and
the dispatcher alone in CPU seconds. With ``--baseline COMMIT`` (default: the commit
before the dispatcher was made faster) the dispatcher of that commit is loaded from
git, for this process only, and measured in the same run, alternating with the
current one so both see the same machine load; both must give the same plan.

    nice -n 10 .venv/bin/python bench/first_plan.py [--orders 1667] [--modules 150]
        [--seed 0] [--repeats 5] [--baseline d186654 | --baseline none]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table
from scale import synthetic_factory  # bench/scale.py: run as a script, bench/ is on the path

from pnp.scheduler import Problem, ScheduledOperation, SolveOptions, schedule_violations, solve
from pnp.scheduler.heuristics.dispatch import dispatch

REPO = Path(__file__).resolve().parents[1]
# The last commit with the dispatcher that took 3.0-3.1 s of CPU at 10,002 operations.
BASELINE = "d186654"
_Dispatch = Callable[[Problem], tuple[ScheduledOperation, ...] | None]
solve_module = importlib.import_module("pnp.scheduler.solve")


def baseline_dispatch(commit: str) -> _Dispatch | None:
    """The dispatcher (and its timeline) as of ``commit``, or None without git."""

    def source(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{commit}:src/pnp/scheduler/heuristics/{path}"],
            cwd=REPO, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    try:
        timeline_source, dispatch_source = source("timeline.py"), source("dispatch.py")
    except (OSError, subprocess.CalledProcessError):
        return None
    timeline = types.ModuleType("_baseline_timeline")
    sys.modules[timeline.__name__] = timeline  # dataclasses look their module up
    exec(compile(timeline_source, f"{commit}:timeline.py", "exec"), timeline.__dict__)
    old = types.ModuleType("_baseline_dispatch")
    sys.modules[old.__name__] = old
    dispatch_source = dispatch_source.replace(
        "from pnp.scheduler.heuristics.timeline import", "from _baseline_timeline import"
    )
    exec(compile(dispatch_source, f"{commit}:dispatch.py", "exec"), old.__dict__)
    function: _Dispatch = old.dispatch
    return function


@contextmanager
def dispatcher_in_solve(function: _Dispatch) -> Iterator[None]:
    current = solve_module.dispatch
    setattr(solve_module, "dispatch", function)  # noqa: B010 (a module attribute, for the bench)
    try:
        yield
    finally:
        setattr(solve_module, "dispatch", current)  # noqa: B010


def first_plan_seconds(problem: Problem, seed: int) -> float:
    """Wall seconds from ``solve`` being called to its first valid plan."""
    # The first plan comes before the budget matters; a short one ends the call soon.
    result = solve(problem, SolveOptions(time_limit=0.5, workers=2, seed=seed))
    assert result.first_solution_seconds is not None
    return result.first_solution_seconds


def dispatch_cpu_seconds(function: _Dispatch, problem: Problem) -> tuple[float, object]:
    started = time.process_time()
    schedule = function(problem)
    return time.process_time() - started, schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--orders", type=int, default=1667)
    parser.add_argument("--modules", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE, help="a commit, or 'none'")
    args = parser.parse_args()

    problem = synthetic_factory(args.seed, args.modules, args.orders)
    load_start = os.getloadavg()[0]
    variants: dict[str, _Dispatch] = {"current": dispatch}
    if args.baseline != "none":
        old = baseline_dispatch(args.baseline)
        if old is not None:
            variants[f"baseline {args.baseline}"] = old
    times: dict[str, dict[str, list[float]]] = {
        name: {"first_plan": [], "dispatch_cpu": []} for name in variants
    }
    plans: dict[str, object] = {}
    for _ in range(args.repeats):
        for name, function in variants.items():  # alternating: the same load for both
            with dispatcher_in_solve(function):
                times[name]["first_plan"].append(first_plan_seconds(problem, args.seed))
            cpu, plans[name] = dispatch_cpu_seconds(function, problem)
            times[name]["dispatch_cpu"].append(cpu)
    load_end = os.getloadavg()[0]
    current_plan = plans["current"]
    assert isinstance(current_plan, tuple)
    valid = not schedule_violations(problem, current_plan)
    same_plan = all(plan == current_plan for plan in plans.values())

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 3),
            "min": round(min(values), 3),
            "max": round(max(values), 3),
        }

    record = {
        "benchmark": "first_plan",
        "seed": args.seed,
        "operations": len(problem.operations),
        "modules": len(problem.machines),
        "repeats": args.repeats,
        "load_average_start": round(load_start, 2),
        "load_average_end": round(load_end, 2),
        "valid": valid,
        "same_plan_as_baseline": same_plan if len(variants) > 1 else None,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **{
            f"{name.split()[0]}_{measure}_seconds": summary(values)
            for name, measures in times.items()
            for measure, values in measures.items()
        },
    }
    table = Table(
        title=f"First plan: {len(problem.operations)} operations on {len(problem.machines)} "
        f"modules, {args.repeats} repeats, load {load_start:.1f} -> {load_end:.1f}"
    )
    for column in ("dispatcher", "first plan s (median, min-max)", "dispatch CPU s (median)"):
        table.add_column(column, justify="right")
    for name, measures in times.items():
        plan, alone = summary(measures["first_plan"]), summary(measures["dispatch_cpu"])
        table.add_row(name, f"{plan['median']} ({plan['min']}-{plan['max']})", str(alone["median"]))
    Console().print(table)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
