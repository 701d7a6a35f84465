"""Benchmark: repairing a plan when a module leaves mid-shift.

Per trial (seeded): plan a synthetic factory of about 1000 operations
(``bench/scale.py``'s generator, 167 orders on 40 modules); move the clock to the
moment 30 % of the operations have started, freeze those (done or running), take
one module away at that moment (an operation running on it is interrupted and must
run again elsewhere), and replan with the old plan as the previous plan.

Reported per trial and as median / p95 over the trials: the time to the first valid
repaired plan (``Result.first_solution_seconds``), the wall time of the whole
``solve`` call (its time limit is ``--time-limit``), and the share of the unaffected
operations (not frozen, not on the lost module) that keep their module. Every
repaired plan goes through ``scheduler.check_schedule``.

    .venv/bin/python bench/replan.py [--trials 20] [--time-limit 1] [--base-time-limit 5]
        [--orders 167] [--workers 2]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import time

from rich.console import Console
from rich.table import Table
from scale import synthetic_factory  # bench/scale.py: run as a script, bench/ is on the path

from pnp.scheduler import (
    Job,
    Placement,
    Problem,
    Result,
    SolveOptions,
    Window,
    check_schedule,
    solve,
)

FROZEN_SHARE = 0.30


@dataclasses.dataclass(frozen=True)
class Disruption:
    problem: Problem  # the replanning problem, times relative to the new "now"
    lost_machine: int
    frozen: int
    interrupted: int  # running on the lost module: unfrozen, to run again
    unaffected: tuple[int, ...]  # free operations whose previous machine is still there


def disrupt(problem: Problem, plan: Result, rng: random.Random) -> Disruption:
    """Freeze the first 30 % of ``plan`` (by start) and take one busy module away."""
    starts = sorted(s.start for s in plan.schedule)
    now = starts[int(len(starts) * FROZEN_SHARE)]
    later = [s for s in plan.schedule if s.start >= now]
    lost = rng.choice(sorted({s.machine for s in later}))

    def shifted(t: int | None) -> int | None:
        return None if t is None else t - now

    machines = list(problem.machines)
    machines[lost] = dataclasses.replace(machines[lost], availability=(Window(None, 0),))
    machines = [
        dataclasses.replace(
            m,
            availability=None
            if m.availability is None
            else tuple(Window(shifted(w.start), shifted(w.end)) for w in m.availability),
        )
        if k != lost
        else m
        for k, m in enumerate(machines)
    ]
    operations, previous = [], []
    frozen = interrupted = 0
    for s, op in zip(plan.schedule, problem.operations, strict=True):
        started = s.start < now
        if started and s.machine == lost and s.end > now:
            interrupted += 1  # the module left while this ran: it runs again elsewhere
            started = False
        if started:
            frozen += 1
            operations.append(dataclasses.replace(op, frozen=Placement(s.machine, s.start - now)))
            previous.append(None)
        else:
            operations.append(op)
            previous.append(Placement(s.machine, s.start - now))
    jobs = [
        Job(j.name, j.weight, shifted(j.due), j.release - now)  # type: ignore[arg-type]
        for j in problem.jobs
    ]
    replanning = dataclasses.replace(
        problem,
        machines=tuple(machines),
        jobs=tuple(jobs),
        operations=tuple(operations),
        previous_plan=tuple(previous),
    )
    unaffected = tuple(
        i
        for i, placement in enumerate(previous)
        if placement is not None and placement.machine != lost
    )
    return Disruption(replanning, lost, frozen, interrupted, unaffected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=1.0, help="replan budget, seconds")
    parser.add_argument("--base-time-limit", type=float, default=5.0)
    parser.add_argument("--orders", type=int, default=167)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    table = Table(title="Replan after losing a module (times in seconds)")
    for header in (
        "seed", "ops", "frozen", "interrupted", "first valid", "returned", "keep module",
        "status", "by", "valid",
    ):  # fmt: skip
        table.add_column(header, justify="right")
    trials = []
    for seed in range(args.trials):
        problem = synthetic_factory(seed, orders=args.orders)
        base = solve(problem, SolveOptions(time_limit=args.base_time_limit, seed=seed))
        disruption = disrupt(problem, base, random.Random(seed))
        started = time.monotonic()
        repaired = solve(
            disruption.problem,
            SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=seed),
        )
        returned = time.monotonic() - started
        violations = check_schedule(disruption.problem, repaired)
        previous = disruption.problem.previous_plan
        kept = sum(
            1
            for i in disruption.unaffected
            if repaired.schedule and repaired.schedule[i].machine == previous[i].machine  # type: ignore[union-attr]
        )
        trial = {
            "seed": seed,
            "operations": len(problem.operations),
            "frozen": disruption.frozen,
            "interrupted": disruption.interrupted,
            "lost_module": problem.machines[disruption.lost_machine].name,
            "first_valid_seconds": repaired.first_solution_seconds,
            "returned_seconds": round(returned, 3),
            "keep_share": kept / len(disruption.unaffected) if disruption.unaffected else 1.0,
            "status": repaired.status.value,
            "found_by": repaired.found_by,
            "valid": repaired.has_solution and not violations,
            "violations": violations[:3],
        }
        trials.append(trial)
        table.add_row(
            str(seed), str(trial["operations"]), str(trial["frozen"]), str(trial["interrupted"]),
            f"{trial['first_valid_seconds']:.3f}", f"{returned:.3f}",
            f"{100 * trial['keep_share']:.1f} %", trial["status"], trial["found_by"],
            "yes" if trial["valid"] else "NO",
        )  # fmt: skip

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)]

    first = [t["first_valid_seconds"] for t in trials]
    returned_all = [t["returned_seconds"] for t in trials]
    keep = [t["keep_share"] for t in trials]
    record = {
        "benchmark": "replan",
        "trials": len(trials),
        "time_limit": args.time_limit,
        "workers": args.workers,
        "first_valid_median": round(statistics.median(first), 3),
        "first_valid_p95": round(p95(first), 3),
        "returned_median": round(statistics.median(returned_all), 3),
        "returned_p95": round(p95(returned_all), 3),
        "keep_share_min": round(min(keep), 4),
        "keep_share_mean": round(statistics.fmean(keep), 4),
        "all_valid": all(t["valid"] for t in trials),
        "rows": trials,
    }
    Console(width=160).print(table)
    Console(width=160).print(
        f"first valid plan: median {record['first_valid_median']} s, p95 "
        f"{record['first_valid_p95']} s; solve returned: median {record['returned_median']} s, "
        f"p95 {record['returned_p95']} s; keep module: min {100 * record['keep_share_min']:.1f} %"
        f", mean {100 * record['keep_share_mean']:.1f} %; all valid: {record['all_valid']}"
    )
    print(json.dumps(record))


if __name__ == "__main__":
    main()
