"""An order's line over the floor as an HTML page (plotly.js from the page's folder,
written there once: ``plotly_bundle``), working offline."""

from __future__ import annotations

from pathlib import Path

from pnp.orchestrator.views.formats import PictureFormat
from pnp.orchestrator.views.line_figure import DOCK_SIZE_M, FLOW_COLOUR, _short
from pnp.orchestrator.views.line_picture import LinePicture
from pnp.orchestrator.views.plotly_bundle import ensure_bundle


def write_page(picture: LinePicture, path: Path, kind: PictureFormat = PictureFormat.HTML) -> None:
    line_page_figure(picture).write_html(
        path,
        include_plotlyjs=ensure_bundle(Path(path).parent),
        full_html=True,
        config={"displaylogo": False},
    )


def line_page_figure(picture: LinePicture):
    import plotly.graph_objects as go

    docks = picture.dock_positions()
    stations = picture.station_positions()
    occupied = {s.dock_id for s in picture.stations}
    half = DOCK_SIZE_M / 2
    figure = go.Figure()
    for dock_id, (x, y) in docks.items():
        used = dock_id in occupied
        figure.add_shape(
            type="rect",
            x0=x - half,
            y0=y - half,
            x1=x + half,
            y1=y + half,
            fillcolor="#fff4d6" if used else "#f2f2f2",
            line={"color": "#555" if used else "#bbb", "dash": "solid" if used else "dash"},
            layer="below",
            name=f"dock:{dock_id}",
        )
    figure.add_trace(
        go.Scatter(
            x=[x - half for x, _ in docks.values()],
            y=[y + half for _, y in docks.values()],
            text=list(docks),
            mode="text",
            textposition="bottom right",
            textfont={"size": 10, "color": "#777"},
            hoverinfo="skip",
            name="docks",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[stations[s.module_id][0] for s in picture.stations],
            y=[stations[s.module_id][1] for s in picture.stations],
            text=[s.module_id for s in picture.stations],
            customdata=[["<br>".join(_short(s.operation_ids))] for s in picture.stations],
            mode="markers+text",
            marker={
                "symbol": "square",
                "size": 18,
                "color": "white",
                "line": {"color": "#333", "width": 2},
            },
            textposition="top center",
            hovertemplate="<b>%{text}</b><br>%{customdata[0]}<extra></extra>",
            name="modules",
        )
    )
    for flow in picture.flows:
        if flow.from_module_id == flow.to_module_id:
            continue
        (x0, y0), (x1, y1) = stations[flow.from_module_id], stations[flow.to_module_id]
        figure.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowwidth=2,
            arrowcolor=FLOW_COLOUR,
            standoff=14,
            startstandoff=14,
            text="",
        )
        figure.add_annotation(
            x=(x0 + x1) / 2,
            y=(y0 + y1) / 2,
            text=f"{flow.transport_seconds:g} s",
            showarrow=False,
            font={"color": FLOW_COLOUR},
            bgcolor="white",
            hovertext=", ".join(flow.flows),
        )
    figure.update_layout(
        title={"text": picture.title + "".join(f"<br><sup>{n}</sup>" for n in picture.notes)},
        showlegend=False,
        plot_bgcolor="white",
        xaxis={"title": "x (m)", "zeroline": False, "gridcolor": "#eee"},
        yaxis={"title": "y (m)", "zeroline": False, "gridcolor": "#eee", "scaleanchor": "x"},
    )
    return figure
