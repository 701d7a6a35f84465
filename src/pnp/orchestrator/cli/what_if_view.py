"""`pnp plan what-if` side by side: each KPI now, in the what-if, the delta, and
whether that delta is better or worse for the factory.

Times (makespan, tardiness) compare only plans of the same orders: a what-if that can
make an order the floor cannot takes longer because it does more, which is not worse.
Then those rows say "not comparable" and the order counts tell the story."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from pnp.orchestrator.cli.output import duration_text


class Verdict(enum.Enum):
    BETTER = "better"
    WORSE = "worse"
    SAME = "same"
    NOT_COMPARABLE = "not comparable"  # the two plans make different orders


@dataclass(frozen=True)
class KpiComparison:
    name: str
    current: float
    what_if: float
    more_is_better: bool
    is_time: bool = False
    comparable: bool = True  # False: the two figures measure plans of different orders

    @property
    def delta(self) -> float:
        return self.what_if - self.current

    @property
    def verdict(self) -> Verdict:
        if abs(self.delta) < 1e-9:
            return Verdict.SAME
        if not self.comparable:
            return Verdict.NOT_COMPARABLE
        return Verdict.BETTER if (self.delta > 0) == self.more_is_better else Verdict.WORSE

    def as_dict(self) -> dict:
        return {
            "kpi": self.name,
            "current": self.current,
            "what_if": self.what_if,
            "delta": self.delta,
            "verdict": self.verdict.value,
        }


def compare(current_kpis, alternative_kpis, current_plan, alternative_plan) -> list[KpiComparison]:
    """The rows of the comparison, from the two pnp.v1.PlanKpis and their plans."""
    c, a = current_kpis, alternative_kpis
    same_orders = _planned_orders(current_plan) == _planned_orders(alternative_plan)
    return [
        KpiComparison("orders planned", c.orders_planned, a.orders_planned, True),
        KpiComparison("orders on time", c.orders_on_time, a.orders_on_time, True),
        KpiComparison("orders that cannot be made", c.orders_unplanned, a.orders_unplanned, False),
        KpiComparison(
            "operations planned",
            len(current_plan.assignments),
            len(alternative_plan.assignments),
            True,
        ),
        KpiComparison(
            "weighted tardiness",
            c.weighted_tardiness_seconds,
            a.weighted_tardiness_seconds,
            False,
            is_time=True,
            comparable=same_orders,
        ),
        KpiComparison(
            "makespan",
            c.makespan_seconds,
            a.makespan_seconds,
            False,
            is_time=True,
            comparable=same_orders,
        ),
    ]


def _planned_orders(plan) -> set[str]:
    return {a.order_id for a in plan.assignments}


_VERDICT_STYLE = {
    Verdict.BETTER: "green",
    Verdict.WORSE: "red",
    Verdict.SAME: "dim",
    Verdict.NOT_COMPARABLE: "dim",
}


def what_if_table(rows: list[KpiComparison], change: str) -> Table:
    table = Table(
        title=f"what if: {change}",
        caption="current: a fresh plan of the floor as it is; what-if: the same orders on "
        "the changed floor. The live plan is not touched.",
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("KPI")
    table.add_column("current", justify="right")
    table.add_column("what-if", justify="right")
    table.add_column("delta", justify="right")
    table.add_column("", justify="left")
    for row in rows:
        show = duration_text if row.is_time else (lambda v: f"{v:g}")
        if row.verdict is Verdict.SAME:
            delta = "="
        elif row.is_time:
            delta = ("+" if row.delta > 0 else "-") + duration_text(abs(row.delta))
        else:
            delta = f"{row.delta:+g}"
        style = _VERDICT_STYLE[row.verdict]
        table.add_row(
            row.name,
            show(row.current),
            show(row.what_if),
            Text(delta, style=style),
            Text("" if row.verdict is Verdict.SAME else row.verdict.value, style=style),
        )
    return table
