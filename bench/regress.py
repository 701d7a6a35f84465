"""A guard against silent regressions: the key benchmarks, short, against a baseline.

Runs, each as its own process, shortened so that the whole takes a few minutes:

- hot swap (`hotswap.py`, 5 trials of each failure): dropped -> suspect, silent ->
  lost, lost -> repaired plan, p95;
- the registry at 1000 modules (`registry.py`, 10 s window): heartbeat round trip p99;
- replan (`replan.py`, 5 trials): first valid repaired plan, p95;
- Brandimarte at 10 s (`fjsp.py`, mk01-mk10 without the peer): mean deviation from
  the best known; skipped, with a line saying so, when the shared benchmark folder is
  absent;
- false loss (`false_loss.py`, 60 s under 2 CPU hogs): healthy modules lost per hour,
  silent -> lost under that load, and the orchestrator's share of dropped -> suspect
  (from the killed process's exit, worst of 5 kills).

Each figure is compared with `bench/baseline.json` within its stated tolerance (an
allowed worsening, relative or absolute, and in which direction worse lies). Prints
a table, says what got worse, then one JSON line; exits 1 when anything got worse.
Not part of `make test`: figures depend on the machine and its load, which is why the
load average is printed next to them.

    .venv/bin/python bench/regress.py [--only hotswap,replan] [--write-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
BASELINE = BENCH / "baseline.json"
FJSP_DATA = Path("/work/shared/benchmarks/fjsp")
PY = sys.executable


@dataclass(frozen=True)
class Run:
    name: str
    command: list[str]
    figures: Callable[[dict], dict[str, float | None]]
    needs: Path | None = None  # skipped when this path is missing


def _row(summary: list[dict], measure: str, key: str = "p95_ms") -> float | None:
    return next((r[key] for r in summary if r["measure"].startswith(measure)), None)


def hotswap_figures(out: dict) -> dict[str, float | None]:
    summary = out["summary"]
    return {
        "dropped_suspect_p95_ms": _row(summary, "dropped session"),
        "silent_lost_p95_ms": _row(summary, "silent failure"),
        "repair_p95_ms": _row(summary, "lost -> repaired"),
    }


RUNS = [
    Run(
        "hotswap",
        [PY, str(BENCH / "hotswap.py"), "--trials", "5", "--seed", "7"],
        hotswap_figures,
    ),
    Run(
        "registry",
        [
            PY,
            str(BENCH / "registry.py"),
            *["--modules", "1000", "--seconds", "10", "--warmup", "5"],
        ],
        lambda out: {"heartbeat_rtt_p99_ms": out["rtt_ms"]["p99"], "lost_acks": out["lost"]},
    ),
    Run(
        "replan",
        [PY, str(BENCH / "replan.py"), "--trials", "5", "--time-limit", "1", "--workers", "2"],
        lambda out: {"first_valid_p95_s": out["first_valid_p95"]},
    ),
    Run(
        "fjsp",
        [
            PY,
            str(BENCH / "fjsp.py"),
            *["--time-limit", "10", "--no-peer", "--data"],
            str(FJSP_DATA),
        ],
        lambda out: {
            "brandimarte_mean_deviation_pct": out["summary"]["ours_mean_deviation_pct"],
            "brandimarte_at_bks": out["summary"]["ours_at_bks"],
        },
        needs=FJSP_DATA / "bks.csv",
    ),
    Run(
        "false_loss",
        [PY, str(BENCH / "false_loss.py"), "--seconds", "60", "--hogs", "2"],
        lambda out: {
            "false_losses_per_hour": out["false_losses_per_hour"],
            "silent_detect_under_load_ms": out.get("silent_detect_ms"),
            # The orchestrator's share of dropped -> suspect (from the killed process's exit).
            "dropped_exit_to_suspect_under_load_ms": out.get("dropped_detect_ms"),
        },
    ),
]


def run_one(run: Run) -> tuple[dict[str, float | None] | None, str]:
    if run.needs is not None and not run.needs.exists():
        return None, f"skipped: {run.needs} is absent"
    started = time.monotonic()
    done = subprocess.run(run.command, capture_output=True, text=True, cwd=REPO, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode not in (0, 1) or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, f"failed (exit {done.returncode}): {' | '.join(tail)}"
    return run.figures(json.loads(lines[-1])), f"{time.monotonic() - started:.0f} s"


def verdict(now: float | None, base: dict) -> str:
    """'ok', 'WORSE' or 'better' against a baseline entry."""
    if now is None:
        return "WORSE"  # a figure that could not be measured is a regression too
    value, lower_is_better = base["value"], base.get("better", "lower") == "lower"
    allowed = base.get("abs", 0.0) + abs(value) * base.get("rel", 0.0)
    worse_by = (now - value) if lower_is_better else (value - now)
    if worse_by > allowed:
        return "WORSE"
    return "better" if worse_by < -allowed else "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument(
        "--write-baseline", action="store_true", help="store these figures as the new baseline"
    )
    args = parser.parse_args()
    wanted = set(args.only.split(",")) - {""}
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {"figures": {}}
    load_before = os.getloadavg()[0]
    results: dict[str, dict] = {}
    notes: dict[str, str] = {}
    for run in RUNS:
        if wanted and run.name not in wanted:
            continue
        print(f"running {run.name}...", file=sys.stderr, flush=True)
        figures, notes[run.name] = run_one(run)
        if figures is not None:
            results[run.name] = figures
        print(f"  {run.name}: {notes[run.name]}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()[0]

    rows, worse = [], []
    print(f"{'benchmark':<11} {'figure':<40} {'baseline':>9} {'now':>9} {'allowed':>9}  verdict")
    for run in RUNS:
        if wanted and run.name not in wanted:
            continue
        if run.name not in results:
            print(f"{run.name:<11} {notes[run.name]}")
            if not notes[run.name].startswith("skipped"):
                worse.append(f"{run.name}: {notes[run.name]}")
            continue
        for figure, now in results[run.name].items():
            base = baseline["figures"].get(f"{run.name}.{figure}")
            if base is None or "value" not in base:
                shown, allowed, judged = "-", "-", "new"
            else:
                slack = base.get("abs", 0.0) + abs(base["value"]) * base.get("rel", 0.0)
                shown, allowed, judged = f"{base['value']:g}", f"+{slack:g}", verdict(now, base)
            if judged == "WORSE":
                worse.append(f"{run.name}.{figure}: {now} against {shown} (allowed {allowed})")
            rows.append({"figure": f"{run.name}.{figure}", "now": now, "verdict": judged})
            print(
                f"{run.name:<11} {figure:<40} {shown:>9} {'-' if now is None else f'{now:g}':>9}"
                f" {allowed:>9}  {judged}"
            )
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
    print("worse: " + ("; ".join(worse) if worse else "nothing"))
    if args.write_baseline:
        for row in rows:
            if row["now"] is None:
                continue
            entry = baseline["figures"].setdefault(row["figure"], {"rel": 0.5, "abs": 0.0})
            entry["value"] = row["now"]
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"baseline written: {BASELINE}")
    print(
        json.dumps(
            {
                "benchmark": "regress",
                "load_average": [round(load_before, 2), round(load_after, 2)],
                "figures": rows,
                "skipped": [n for n, note in notes.items() if note.startswith("skipped")],
                "worse": worse,
                "pass": not worse,
            }
        )
    )
    sys.exit(1 if worse else 0)


if __name__ == "__main__":
    main()
