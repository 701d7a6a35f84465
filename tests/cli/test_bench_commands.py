"""`pnp bench fjsp` on a small instance: valid schedules, JSON with the schedule, clear errors."""

from __future__ import annotations

import json

from tests.cli.pnp_process import pnp

# Two jobs, two machines (the README's format): job 1 = op(m1:3 | m2:5), op(m2:2);
# job 2 = op(m1:4).
TINY = "2 2 1.5\n2 2 1 3 2 5 1 2 2\n1 1 1 4\n"


def test_bench_fjsp_solves_a_file_and_reports_the_schedule(tmp_path):
    instance = tmp_path / "tiny.fjs"
    instance.write_text(TINY)
    result = pnp(
        "bench",
        "fjsp",
        str(instance),
        "--time-limit",
        "2",
        "--workers",
        "1",
        "--no-peer",
        "--data",
        str(tmp_path),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [row] = report["instances"] if "instances" in report else report["rows"]
    assert row["ours"]["valid"] is True
    # Optimum 7: m1 carries job 2 (4) and job 1's first operation (3) unless that moves
    # to m2 (5), where job 1's second operation (2) must follow it.
    assert row["ours"]["makespan"] == 7
    assert len(row["schedule"]) == 3


def test_bench_fjsp_refuses_a_broken_file_with_exit_2(tmp_path):
    broken = tmp_path / "broken.fjs"
    broken.write_text("2 2 1\n1 1 1 3\n")  # one job line missing
    result = pnp("bench", "fjsp", str(broken), "--no-peer", "--data", str(tmp_path))
    assert result.returncode == 2
    assert "broken.fjs" in result.stderr and "Traceback" not in result.stderr
