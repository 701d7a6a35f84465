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


def test_a_longer_makespan_for_an_order_that_could_not_be_planned_is_not_worse():
    from types import SimpleNamespace as Fields

    from pnp.orchestrator.cli.what_if_view import compare

    def kpis(planned: int, unplanned: int, makespan: float):
        return Fields(
            orders_planned=planned,
            orders_on_time=planned,
            orders_unplanned=unplanned,
            weighted_tardiness_seconds=0.0,
            makespan_seconds=makespan,
        )

    def plan(*order_ids: str):
        return Fields(assignments=[Fields(order_id=o) for o in order_ids])

    rows = {
        row.name: row for row in compare(kpis(0, 1, 0.0), kpis(1, 0, 3895.0), plan(), plan("ord-1"))
    }
    assert rows["makespan"].verdict is Verdict.NOT_COMPARABLE
    assert rows["orders planned"].verdict is Verdict.BETTER
    assert rows["orders that cannot be made"].verdict is Verdict.BETTER
    # The same orders on both sides: a longer makespan is worse again.
    same = {r.name: r for r in compare(kpis(1, 0, 10.0), kpis(1, 0, 20.0), plan("a"), plan("a"))}
    assert same["makespan"].verdict is Verdict.WORSE
