"""A Gantt chart as an SVG or PNG picture (matplotlib, no display needed).

Uses ``matplotlib.figure.Figure`` directly rather than pyplot: no global figure
state, no GUI backend, safe to call from any thread. Each bar's rectangle gets its
identifier as ``gid``, which the SVG writer emits as the element's ``id``.
"""

from __future__ import annotations

from pathlib import Path

from pnp.orchestrator.views.colours import FAILED_EDGE, RUNNING_EDGE, order_colour
from pnp.orchestrator.views.formats import PictureFormat
from pnp.orchestrator.views.gantt import BarStatus, GanttBar, GanttChart
from pnp.orchestrator.views.time_axis import ticks

BAR_HEIGHT = 0.7
MAX_LEGEND_ORDERS = 24


def write_figure(chart: GanttChart, path: Path, kind: PictureFormat) -> None:
    import matplotlib

    # Same bytes for the same chart: SVG ids from a fixed salt, no creation date.
    with matplotlib.rc_context({"svg.hashsalt": "pnp", "svg.fonttype": "none"}):
        figure = gantt_figure(chart)
        metadata = {"Date": None} if kind is PictureFormat.SVG else {"Software": "pnp"}
        figure.savefig(path, format=kind.value.lstrip("."), dpi=110, metadata=metadata)


def gantt_figure(chart: GanttChart):
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    lanes = chart.lane_order
    row = {lane: index for index, lane in enumerate(lanes)}
    figure = Figure(figsize=(12, 1.6 + 0.45 * max(len(lanes), 1)), layout="constrained")
    axes = figure.add_subplot()

    for bar in chart.bars:
        rectangle = axes.barh(
            row[bar.lane],
            max(bar.end - bar.start, 0.0),
            left=bar.start,
            height=BAR_HEIGHT,
            **_bar_style(bar),
        )[0]
        rectangle.set_gid(bar.key)

    start, end = chart.span
    for bar in chart.bars:
        if _label_fits(bar, end - start):
            _label(axes, bar, row[bar.lane])
    if chart.now is not None:
        axes.axvline(chart.now, color="#444", linestyle=":", linewidth=1)
        axes.annotate("now", (chart.now, -0.6), ha="center", va="bottom", fontsize=8)
    positions = ticks(start, end)
    axes.set_xticks([value for value, _ in positions], [label for _, label in positions])
    axes.set_xlim(start, end + (end - start) * 0.02)
    axes.set_yticks(range(len(lanes)), lanes)
    axes.set_ylim(len(lanes) - 0.5, -0.5)  # first lane on top
    axes.set_xlabel(f"factory time since {chart.origin:%Y-%m-%d %H:%M:%SZ} (h:mm)")
    axes.grid(axis="x", color="#e5e5e5")
    axes.set_axisbelow(True)
    title = chart.title + "".join(f"\n{note}" for note in chart.notes)
    axes.set_title(title, loc="left", fontsize=11)
    axes.legend(
        handles=_legend(chart, Patch), loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8
    )
    return figure


def _bar_style(bar: GanttBar) -> dict:
    colour = order_colour(bar.order_id)
    if bar.status is BarStatus.FAILED:
        return {
            "color": colour,
            "alpha": 0.45,
            "edgecolor": FAILED_EDGE,
            "hatch": "xx",
            "linewidth": 2,
        }
    if bar.status is BarStatus.RUNNING:
        return {
            "color": colour,
            "edgecolor": RUNNING_EDGE,
            "hatch": "..",
            "linewidth": 2,
            "linestyle": "--",
        }
    return {"color": colour, "edgecolor": "white", "linewidth": 0.8}


# About how many 7-point characters fit across the axes of a 12-inch figure.
CHARACTERS_ACROSS = 190


def _label_fits(bar: GanttBar, span: float) -> bool:
    """A label only where it can be read whole; the SVG keeps the id, the page a hover."""
    width = (bar.end - bar.start) / max(span, 1.0)
    return len(bar.label) + 1 <= width * CHARACTERS_ACROSS


def _label(axes, bar: GanttBar, y: int) -> None:
    centre = (bar.start + bar.end) / 2
    axes.text(centre, y, bar.label, ha="center", va="center", fontsize=7, clip_on=True)


def _legend(chart: GanttChart, patch) -> list:
    orders = sorted({bar.order_id for bar in chart.bars})
    handles = [
        patch(facecolor=order_colour(o), label=f"order {o}") for o in orders[:MAX_LEGEND_ORDERS]
    ]
    if len(orders) > MAX_LEGEND_ORDERS:
        handles.append(
            patch(facecolor="white", label=f"... {len(orders) - MAX_LEGEND_ORDERS} more")
        )
    statuses = {bar.status for bar in chart.bars}
    if BarStatus.RUNNING in statuses:
        handles.append(
            patch(
                facecolor="#dddddd",
                edgecolor=RUNNING_EDGE,
                hatch="..",
                linestyle="--",
                label="running",
            )
        )
    if BarStatus.FAILED in statuses:
        handles.append(
            patch(
                facecolor="#dddddd", edgecolor=FAILED_EDGE, hatch="xx", label="failed / interrupted"
            )
        )
    return handles
