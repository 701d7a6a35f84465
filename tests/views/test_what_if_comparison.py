"""The what-if comparison's verdicts: which way is better depends on the KPI."""

from __future__ import annotations

from pnp.orchestrator.cli.what_if_view import KpiComparison, Verdict


def test_more_orders_on_time_is_better():
    assert KpiComparison("orders on time", 2, 3, more_is_better=True).verdict is Verdict.BETTER


def test_a_longer_makespan_is_worse():
    row = KpiComparison("makespan", 3600, 4000, more_is_better=False, is_time=True)
    assert row.verdict is Verdict.WORSE and row.delta == 400


def test_no_change_is_the_same():
    assert KpiComparison("orders planned", 2, 2, more_is_better=True).verdict is Verdict.SAME
