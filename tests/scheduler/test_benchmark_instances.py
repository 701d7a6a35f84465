"""The shared FJSP benchmark files, when present: every file reads, and every solve
of a Brandimarte instance passes the checker. Quality is the benchmarks' business
(``bench/fjsp.py``), never asserted here against the clock."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pnp.scheduler import SolveOptions, parse_fjs, schedule_violations, solve
from pnp.scheduler.heuristics.dispatch import dispatch

from .checker import assert_valid

FOLDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "fjsp"
pytestmark = pytest.mark.skipif(
    not (FOLDER / "bks.csv").is_file(),
    reason=f"FJSP benchmark data not found at {FOLDER} (shared folder not mounted)",
)


def bks_rows() -> list[dict[str, str]]:
    with (FOLDER / "bks.csv").open() as rows:
        return list(csv.DictReader(rows))


def test_every_listed_instance_reads_with_the_sizes_bks_csv_gives():
    for row in bks_rows():
        instance = parse_fjs((FOLDER / row["file"]).read_text(), row["instance"])
        assert len(instance.jobs) == int(row["jobs"]), row["instance"]
        assert instance.machine_count == int(row["machines"]), row["instance"]
        assert instance.operation_count == int(row["operations"]), row["instance"]


@pytest.mark.parametrize("name", [f"mk{k:02d}" for k in range(1, 11)])
def test_the_dispatch_plan_of_each_brandimarte_instance_is_valid(name):
    problem = parse_fjs((FOLDER / "brandimarte" / f"{name}.fjs").read_text(), name).to_problem()
    schedule = dispatch(problem)
    assert schedule is not None
    assert schedule_violations(problem, schedule) == []


@pytest.mark.parametrize("name", ["mk01", "mk04"])
def test_a_short_solve_of_a_brandimarte_instance_is_valid(name):
    problem = parse_fjs((FOLDER / "brandimarte" / f"{name}.fjs").read_text(), name).to_problem()
    result = solve(problem, SolveOptions(time_limit=1.0, workers=2, seed=0))
    assert result.has_solution
    assert_valid(problem, result)
