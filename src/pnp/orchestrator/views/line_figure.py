"""An order's line over the floor as an SVG or PNG picture (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from pnp.orchestrator.views.formats import PictureFormat
from pnp.orchestrator.views.line_picture import LinePicture

DOCK_SIZE_M = 5.0
FLOW_COLOUR = "#1f77b4"


def write_figure(picture: LinePicture, path: Path, kind: PictureFormat) -> None:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "pnp", "svg.fonttype": "none"}):
        figure = line_figure(picture)
        metadata = {"Date": None} if kind is PictureFormat.SVG else {"Software": "pnp"}
        figure.savefig(path, format=kind.value.lstrip("."), dpi=110, metadata=metadata)


def line_figure(picture: LinePicture):
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, Rectangle

    docks = picture.dock_positions()
    stations = picture.station_positions()
    xs = [x for x, _ in docks.values()] or [0.0]
    ys = [y for _, y in docks.values()] or [0.0]
    width = max(xs) - min(xs) + 3 * DOCK_SIZE_M
    height = max(ys) - min(ys) + 3 * DOCK_SIZE_M
    figure = Figure(figsize=(min(14, 3 + width / 5), min(10, 2 + height / 5)), layout="constrained")
    axes = figure.add_subplot()
    half = DOCK_SIZE_M / 2
    occupied = {s.dock_id for s in picture.stations}

    for dock_id, (x, y) in docks.items():
        used = dock_id in occupied
        patch = Rectangle(
            (x - half, y - half),
            DOCK_SIZE_M,
            DOCK_SIZE_M,
            facecolor="#fff4d6" if used else "#f2f2f2",
            edgecolor="#555" if used else "#bbb",
            linestyle="-" if used else "--",
        )
        patch.set_gid(f"dock:{dock_id}")
        axes.add_patch(patch)
        axes.annotate(
            dock_id,
            (x - half, y + half),
            xytext=(2, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=7,
            color="#777",
        )

    for station in picture.stations:
        x, y = stations[station.module_id]
        text = axes.text(
            x,
            y,
            "\n".join([station.module_id, *_short(station.operation_ids)]),
            ha="center",
            va="center",
            fontsize=7,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#333"},
        )
        text.set_gid(f"module:{station.module_id}")

    for flow in picture.flows:
        if flow.from_module_id == flow.to_module_id:
            continue  # consecutive steps on one module: no transport to draw
        start, end = stations[flow.from_module_id], stations[flow.to_module_id]
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            color=FLOW_COLOUR,
            linewidth=1.6,
            connectionstyle="arc3,rad=0.12",
            shrinkA=22,
            shrinkB=22,
            zorder=4,  # over the module boxes: an arrowhead is never hidden
        )
        arrow.set_gid(f"flow:{flow.from_module_id}->{flow.to_module_id}")
        axes.add_patch(arrow)
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        axes.annotate(
            f"{flow.transport_seconds:g} s",
            middle,
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=FLOW_COLOUR,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )

    axes.set_xlim(min(xs) - 1.5 * DOCK_SIZE_M, max(xs) + 1.5 * DOCK_SIZE_M)
    axes.set_ylim(min(ys) - 1.5 * DOCK_SIZE_M, max(ys) + 1.5 * DOCK_SIZE_M)
    axes.set_aspect("equal")
    axes.set_xlabel("x (m)")
    axes.set_ylabel("y (m)")
    axes.set_title(
        picture.title + "".join(f"\n{n}" for n in picture.notes), loc="left", fontsize=10
    )
    return figure


def _short(operation_ids: tuple[str, ...]) -> list[str]:
    """The step part of each operation id (the order is in the title)."""
    return [op.split("/", 1)[-1] for op in operation_ids]
