"""Maintenance before failure, measured over seeded runs (issue 17, item 4).

Two questions, one table and one JSON line:

1. **Detection.** Modules wear as the simulator makes them (``pnp.sdk.wear``: a seeded
   onset, drift in vibration, temperature and durations, then failure). Each runs
   executions back to back (nominal 30 min, 5 % noise, idle gaps of 0..30 min) and
   after every execution the factory's health model (``pnp.orchestrator.twin.health``,
   the same code `pnp module health` runs) scores it from what the factory records: the
   duration against the time model and the mean condition readings. Reported: detection
   lead time (alarm to the failure the module would have had), misses (no alarm before
   failure), and false alarms per healthy module-day (healthy modules, after each false
   alarm the module is serviced and its baseline learnt again).

2. **Tardiness saved.** For each detected fault, a day of work (12 jobs of 2-3
   operations, due dates over the day, weights 1-3) on three capable modules, the
   worn one first, planned by pnp's scheduler. *Planned*: at the alarm the plan is
   repaired with a 2 h window starting 30 min later (what an accepted proposal does).
   *Run to failure*: at the failure the running operation is lost and the module is
   down for an 8 h repair, and the plan is repaired then. Reported: weighted tardiness
   (hours) of both, and what the window saved.

    .venv/bin/python bench/maintenance.py --trials 10 --seed 0
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pnp import scheduler
from pnp.orchestrator.twin.health import ExecutionSample, HealthSettings, health_of
from pnp.scheduler.metrics import weighted_tardiness
from pnp.sdk.wear import Wear, WearProfile

T0 = datetime(2026, 12, 1, tzinfo=UTC)
NOMINAL_MIN = 30.0
HORIZON_DAYS = 14
HEALTHY, WEARING = 5, 3
SETTINGS = HealthSettings()
WINDOW_LEAD_S, WINDOW_S, REPAIR_S = 30 * 60, 2 * 3600, 8 * 3600


# -- 1. detection ------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    alarm_h: float | None  # hours after start when the score crossed the threshold
    failure_h: float  # hours after start when the failing execution began


def run_module(wear: Wear, rng: random.Random, until_h: float, stop_at_failure: bool):
    """Executions until ``until_h`` (or the failure): (false alarms, episode or None).

    After an alarm on a module whose fault has not begun, it is serviced: its history
    starts again (a new baseline). A wearing module's first alarm after onset counts as
    detection; it runs on untouched to find when it would have failed."""
    clock_h, samples, false_alarms, alarm_h = 0.0, [], 0, None
    execution = 0
    while clock_h < until_h:
        condition = wear.next_execution()
        if condition.failed:
            return false_alarms, Episode(alarm_h, clock_h)
        minutes = NOMINAL_MIN * condition.duration_factor * rng.gauss(1.0, 0.05)
        clock_h += minutes / 60
        samples.append(
            ExecutionSample(
                T0 + timedelta(hours=clock_h),
                {
                    "duration_ratio": minutes / NOMINAL_MIN,
                    "VibrationMmS": condition.vibration_mm_s,
                    "TemperatureC": condition.temperature_c,
                },
            )
        )
        score = health_of("m", samples, SETTINGS).score
        if score is not None and score < SETTINGS.threshold and alarm_h is None:
            if wear.progress(execution) > 0:
                alarm_h = clock_h  # a true alarm: keep running to see the failure
            else:
                false_alarms += 1
                samples = []  # serviced: learn the normal again
        execution += 1
        clock_h += rng.uniform(0, 30) / 60
    return false_alarms, None if not stop_at_failure else Episode(alarm_h, clock_h)


def detection_trial(seed: int):
    rng = random.Random(seed)
    false_alarms = 0
    for k in range(HEALTHY):
        wear = Wear(WearProfile(onset=None), seed=seed * 100 + k)
        alarms, _ = run_module(wear, random.Random(seed * 100 + k), HORIZON_DAYS * 24, False)
        false_alarms += alarms
    episodes = []
    for k in range(WEARING):
        profile = WearProfile(onset=rng.randint(40, 140), life=rng.randint(15, 30))
        wear = Wear(profile, seed=seed * 100 + 50 + k)
        _, episode = run_module(wear, random.Random(seed * 100 + 50 + k), 10_000, True)
        episodes.append(episode)
    return false_alarms, episodes


# -- 2. tardiness saved ------------------------------------------------------------------


def day_of_work(seed: int, horizon_s: int) -> tuple[list[scheduler.Job], list[list[int]]]:
    """Work spread over ``horizon_s``, keeping three modules about 80 % busy: jobs of 2-3
    operations (30-90 min each), released over time, due 4-8 h after release."""
    rng = random.Random(seed)
    count = max(6, round(horizon_s / 3600 * 3 * 0.8 / 2.5))
    jobs, chains = [], []
    for j in range(count):
        chain = [rng.randint(30, 90) * 60 for _ in range(rng.randint(2, 3))]
        release = rng.randint(0, max(1, horizon_s - 8 * 3600))
        due = release + rng.randint(4, 8) * 3600
        jobs.append(scheduler.Job(f"job{j}", weight=rng.randint(1, 3), due=due, release=release))
        chains.append(chain)
    return jobs, chains


def build(jobs, chains, now: int, done: dict, down: list[tuple[int, int]]) -> scheduler.Problem:
    """The problem at time ``now`` (as time 0): ``done`` maps operation index to a frozen
    (machine, start); machine 0 is unavailable in ``down`` (absolute seconds)."""
    operations, precedences, index = [], [], 0
    for j, chain in enumerate(chains):
        for k, duration in enumerate(chain):
            if index in done:
                machine, start = done[index]
                operations.append(
                    scheduler.Operation(
                        f"j{j}o{k}",
                        j,
                        (scheduler.Mode(machine, duration),),
                        frozen=scheduler.Placement(machine, start - now),
                    )
                )
            else:
                modes = tuple(scheduler.Mode(m, duration) for m in range(3))
                operations.append(scheduler.Operation(f"j{j}o{k}", j, modes))
            if k:
                precedences.append(scheduler.Precedence(index - 1, index))
            index += 1
    availability = None
    # Work running on the worn module when a window opens finishes first (as in pnp).
    busy = max(
        (
            op.frozen.start + op.modes[0].duration
            for op in operations
            if op.frozen and op.frozen.machine == 0
        ),
        default=0,
    )
    if down:
        spans = sorted((max(0, busy, s - now), e - now) for s, e in down if e - now > max(0, busy))
        windows, cursor = [], None
        for s, e in spans:
            windows.append(scheduler.Window(cursor, s))
            cursor = e
        windows.append(scheduler.Window(cursor, None))
        availability = tuple(
            w for w in windows if w.start is None or w.end is None or w.end > w.start
        )
    machines = (
        scheduler.Machine("worn", availability=availability),
        scheduler.Machine("twin-1"),
        scheduler.Machine("twin-2"),
    )
    shifted = tuple(scheduler.Job(job.name, weight=job.weight, due=job.due - now) for job in jobs)
    return scheduler.Problem(machines, shifted, tuple(operations), tuple(precedences))


def solve(problem: scheduler.Problem, seed: int, limit: float):
    result = scheduler.solve(
        problem, scheduler.SolveOptions(time_limit=limit, workers=2, seed=seed)
    )
    assert result.schedule, "no plan"
    assert not scheduler.schedule_violations(problem, result.schedule)
    return result


def repaired(jobs, chains, plan, now: int, down, lost_on_worn: bool, seed: int, limit: float):
    """Weighted tardiness (s) after repairing ``plan`` at ``now`` with ``down`` on machine 0.
    Operations started before ``now`` stay, except the one running on the worn module when
    it fails (``lost_on_worn``): that one runs again."""
    done = {}
    for op in plan:
        if op.start < now and not (lost_on_worn and op.machine == 0 and op.end > now):
            done[op.operation] = (op.machine, op.start)
    # A lost operation's successors cannot have started: drop any that did (none should).
    problem = build(jobs, chains, now, done, down)
    result = solve(problem, seed, limit)
    return weighted_tardiness(problem, result.schedule)


def tardiness_trial(seed: int, lead_s: float, limit: float) -> tuple[float, float]:
    alarm = 2 * 3600
    failure = alarm + int(lead_s)
    # The work runs on past the failure and the repair, so an outage has work to delay.
    jobs, chains = day_of_work(seed, failure + REPAIR_S + 8 * 3600)
    baseline_problem = build(jobs, chains, 0, {}, [])
    plan = [
        scheduler.ScheduledOperation(o.operation, o.machine, o.start, o.end)
        for o in solve(baseline_problem, seed, limit).schedule
    ]
    window = (alarm + WINDOW_LEAD_S, alarm + WINDOW_LEAD_S + WINDOW_S)
    planned = repaired(jobs, chains, plan, alarm, [window], False, seed, limit)
    # Planned maintenance only helps if it starts before the failure would have.
    if window[0] > failure:
        planned = repaired(
            jobs, chains, plan, failure, [(failure, failure + REPAIR_S)], True, seed, limit
        )
    to_failure = repaired(
        jobs, chains, plan, failure, [(failure, failure + REPAIR_S)], True, seed, limit
    )
    return planned / 3600, to_failure / 3600


# -- the run -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=1.0, help="seconds per solve")
    args = parser.parse_args()
    started = time.monotonic()
    leads, misses, false_alarms, planned, to_failure = [], 0, 0, [], []
    for trial in range(args.trials):
        seed = args.seed * 1000 + trial
        alarms, episodes = detection_trial(seed)
        false_alarms += alarms
        for k, episode in enumerate(episodes):
            if episode.alarm_h is None or episode.alarm_h >= episode.failure_h:
                misses += 1
                continue
            lead = episode.failure_h - episode.alarm_h
            leads.append(lead)
            a, b = tardiness_trial(seed * 10 + k, lead * 3600, args.time_limit)
            planned.append(a)
            to_failure.append(b)
    healthy_days = args.trials * HEALTHY * HORIZON_DAYS
    faults = args.trials * WEARING
    saved = [b - a for a, b in zip(planned, to_failure, strict=True)]
    figures = {
        "trials": args.trials,
        "seed": args.seed,
        "faults": faults,
        "detected": len(leads),
        "missed": misses,
        "lead_h_median": round(statistics.median(leads), 2) if leads else None,
        "lead_h_min": round(min(leads), 2) if leads else None,
        "lead_h_p10": round(statistics.quantiles(leads, n=10, method="inclusive")[0], 2)
        if len(leads) > 1
        else None,
        "healthy_module_days": healthy_days,
        "false_alarms": false_alarms,
        "false_alarms_per_healthy_module_day": round(false_alarms / healthy_days, 4),
        "tardiness_h_planned_mean": round(statistics.mean(planned), 2) if planned else None,
        "tardiness_h_run_to_failure_mean": round(statistics.mean(to_failure), 2)
        if to_failure
        else None,
        "tardiness_h_saved_mean": round(statistics.mean(saved), 2) if saved else None,
        "tardiness_h_saved_median": round(statistics.median(saved), 2) if saved else None,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    rows = [
        ("faults (wearing modules)", f"{faults}"),
        ("detected before failure", f"{len(leads)} ({misses} missed)"),
        (
            "lead time, median / p10 / min",
            f"{figures['lead_h_median']} / {figures['lead_h_p10']} / {figures['lead_h_min']} h",
        ),
        (
            "false alarms per healthy module-day",
            f"{figures['false_alarms_per_healthy_module_day']} "
            f"({false_alarms} in {healthy_days} days)",
        ),
        ("weighted tardiness, planned window", f"{figures['tardiness_h_planned_mean']} h (mean)"),
        (
            "weighted tardiness, run to failure",
            f"{figures['tardiness_h_run_to_failure_mean']} h (mean)",
        ),
        (
            "saved by the planned window",
            f"{figures['tardiness_h_saved_mean']} h mean, "
            f"{figures['tardiness_h_saved_median']} h median",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
