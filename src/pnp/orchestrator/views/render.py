"""Writing a picture to a file: the renderer is chosen by the file's suffix.

HTML pages come from ``*_page`` (plotly), SVG and PNG from ``*_figure`` (matplotlib).
The renderers are imported only when used, so a command that draws nothing never
loads plotly or matplotlib. The models (``gantt``, ``line_picture``) know neither.
"""

from __future__ import annotations

from pathlib import Path

from pnp.orchestrator.views.formats import PictureFormat, picture_format, write_atomically
from pnp.orchestrator.views.gantt import GanttChart
from pnp.orchestrator.views.line_picture import LinePicture


def write_gantt(chart: GanttChart, path: str | Path, option: str = "--gantt") -> PictureFormat:
    """Writes ``chart`` to ``path`` in the format its suffix names; returns that format."""
    kind = picture_format(path, option)
    if kind is PictureFormat.HTML:
        from pnp.orchestrator.views.gantt_page import write_page as write
    else:
        from pnp.orchestrator.views.gantt_figure import write_figure as write
    write_atomically(path, lambda temporary: write(chart, temporary, kind), option)
    return kind


def write_line_picture(
    picture: LinePicture, path: str | Path, option: str = "--graph"
) -> PictureFormat:
    kind = picture_format(path, option)
    if kind is PictureFormat.HTML:
        from pnp.orchestrator.views.line_page import write_page as write
    else:
        from pnp.orchestrator.views.line_figure import write_figure as write
    write_atomically(path, lambda temporary: write(picture, temporary, kind), option)
    return kind
