"""Pictures for production planners: Gantt charts of plans and history, line pictures.

Pure: plain typed rows in, a file out (plotly for self-contained HTML pages,
matplotlib for SVG and PNG). Nothing here knows gRPC or protobuf; the CLI converts
pnp.v1 messages into these rows at its edge (``orchestrator/cli/view_rows.py``).
"""

from pnp.orchestrator.views.formats import PictureFormat, picture_format
from pnp.orchestrator.views.gantt import BarStatus, GanttBar, GanttChart
from pnp.orchestrator.views.line_picture import DockSpot, LineFlow, LinePicture, LineStation
from pnp.orchestrator.views.render import write_gantt, write_line_picture

__all__ = [
    "BarStatus",
    "DockSpot",
    "GanttBar",
    "GanttChart",
    "LineFlow",
    "LinePicture",
    "LineStation",
    "PictureFormat",
    "picture_format",
    "write_gantt",
    "write_line_picture",
]
