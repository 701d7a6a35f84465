"""A Gantt chart as an HTML page (plotly), small, and working offline.

The factory floor has no internet, so plotly.js comes from the page's own folder
(``plotly_bundle``: written there once, shared by every page in it), never a CDN.
Bars are horizontal plotly bars (``base`` = start, ``x`` = duration) on a numeric axis
of seconds after the origin, labelled in h:mm. One trace per order and status keeps
the legend readable: an order's colour, and a pattern for trouble.
After each render a small script writes every bar's identifier into the DOM
(``data-operation-id`` on the bar's ``g.point``): plotly itself keeps ``customdata``
only in JavaScript, and a planner's browser tools or a test want to find bars by id.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pnp.orchestrator.views.colours import FAILED_EDGE, RUNNING_EDGE, order_colour
from pnp.orchestrator.views.formats import PictureFormat
from pnp.orchestrator.views.gantt import BarStatus, GanttBar, GanttChart
from pnp.orchestrator.views.plotly_bundle import ensure_bundle
from pnp.orchestrator.views.time_axis import offset_label, ticks

LANE_PIXELS = 44

# Runs after plotly draws (and after every redraw: zoom, legend clicks).
TAG_BARS_SCRIPT = """
var gd = document.getElementById('{plot_id}');
function pnpTagBars() {
  gd.querySelectorAll('g.trace.bars').forEach(function (traceNode) {
    var cd = traceNode.__data__;
    if (!cd || !cd[0] || !cd[0].trace) { return; }
    var ids = cd[0].trace.customdata || [];
    traceNode.querySelectorAll('g.point').forEach(function (point) {
      var d = point.__data__;
      if (d && ids[d.i]) { point.setAttribute('data-operation-id', ids[d.i][0]); }
    });
  });
  gd.setAttribute('data-pnp-bars-tagged', 'true');
}
pnpTagBars();
gd.on('plotly_afterplot', pnpTagBars);
"""


def write_page(chart: GanttChart, path: Path, kind: PictureFormat = PictureFormat.HTML) -> None:
    figure = gantt_figure(chart)
    figure.write_html(
        path,
        include_plotlyjs=ensure_bundle(Path(path).parent),
        full_html=True,
        post_script=TAG_BARS_SCRIPT,
        config={"displaylogo": False, "responsive": True},
    )


def gantt_figure(chart: GanttChart):
    import plotly.graph_objects as go

    lanes = chart.lane_order
    groups: dict[tuple[str, BarStatus], list[GanttBar]] = defaultdict(list)
    for bar in sorted(chart.bars, key=lambda b: (b.order_id, b.start)):
        groups[(bar.order_id, bar.status)].append(bar)

    figure = go.Figure()
    for (order_id, status), bars in groups.items():
        figure.add_trace(_trace(go, order_id, status, bars))

    start, end = chart.span
    tick_values = ticks(start, end)
    if chart.now is not None:
        figure.add_vline(x=chart.now, line={"color": "#444", "dash": "dot", "width": 1})
        figure.add_annotation(
            x=chart.now, y=1, yref="paper", text="now", showarrow=False, yanchor="bottom"
        )
    subtitle = "<br>".join(chart.notes)
    figure.update_layout(
        title={
            "text": chart.title + (f"<br><sup>{subtitle}</sup>" if subtitle else ""),
            "x": 0.01,
        },
        barmode="overlay",
        height=160 + LANE_PIXELS * max(len(lanes), 1),
        margin={"l": 10, "r": 10, "t": 80, "b": 50},
        plot_bgcolor="white",
        legend={"title": {"text": "orders"}, "traceorder": "normal"},
        xaxis={
            "title": f"factory time since {chart.origin:%Y-%m-%d %H:%M:%SZ} (h:mm)",
            "tickvals": [value for value, _ in tick_values],
            "ticktext": [label for _, label in tick_values],
            "range": [start, end + (end - start) * 0.02],
            "gridcolor": "#e5e5e5",
            "zeroline": False,
        },
        yaxis={
            "categoryorder": "array",
            "categoryarray": lanes,
            "autorange": "reversed",
            "title": "module",
        },
    )
    return figure


def _trace(go, order_id: str, status: BarStatus, bars: list[GanttBar]):
    colour = order_colour(order_id)
    marker: dict = {"color": colour, "line": {"color": "white", "width": 1}}
    name = f"order {order_id}"
    if status is BarStatus.FAILED:
        marker = {
            "color": "white",
            "pattern": {"shape": "x", "fgcolor": FAILED_EDGE, "bgcolor": colour, "solidity": 0.3},
            "line": {"color": FAILED_EDGE, "width": 2.5},
        }
        name += " (failed attempt)"
    elif status is BarStatus.RUNNING:
        marker = {
            "color": colour,
            "pattern": {"shape": ".", "fgcolor": "white", "solidity": 0.2},
            "line": {"color": RUNNING_EDGE, "width": 2.5},
        }
        name += " (running)"
    return go.Bar(
        orientation="h",
        y=[bar.lane for bar in bars],
        base=[bar.start for bar in bars],
        x=[max(bar.end - bar.start, 0.0) for bar in bars],
        name=name,
        legendgroup=order_id,
        showlegend=True,
        marker=marker,
        width=0.7,
        text=[bar.label for bar in bars],
        textposition="inside",
        insidetextanchor="middle",
        constraintext="inside",
        customdata=[
            [bar.key, bar.operation_id, bar.status.value, offset_label(bar.start, 1)]
            for bar in bars
        ],
        hovertemplate=(
            "<b>%{customdata[1]}</b> (%{customdata[2]})<br>%{y}<br>"
            "from %{customdata[3]}, %{x:.0f} s<extra>" + f"order {order_id}</extra>"
        ),
    )
