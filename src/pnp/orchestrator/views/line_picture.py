"""An order's production line drawn over the factory floor.

Docks sit at their layout positions (metres); each module of the line sits on its dock
with the operations it does for the order; arrows show the material flow between
modules, labelled with the transport time. Without a layout (an "open floor") the
docks of the line are set out in a row, and the picture says so.

``render.write_line_picture(picture, path)`` picks the renderer by suffix: ``line_page``
(HTML) or ``line_figure`` (SVG/PNG). Elements carry ids: ``dock:A1``,
``module:laser-a1``, ``flow:laser-a1->weld-a2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

OPEN_FLOOR_SPACING_M = 12.0


@dataclass(frozen=True)
class DockSpot:
    dock_id: str
    x_m: float
    y_m: float


@dataclass(frozen=True)
class LineStation:
    module_id: str
    dock_id: str
    operation_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineFlow:
    from_module_id: str
    to_module_id: str
    transport_seconds: float
    flows: tuple[str, ...] = ()  # "cut->weld" pairs


@dataclass(frozen=True)
class LinePicture:
    title: str
    docks: Sequence[DockSpot]  # the whole floor; empty for an open floor
    stations: Sequence[LineStation]
    flows: Sequence[LineFlow]
    notes: Sequence[str] = field(default_factory=tuple)

    def dock_positions(self) -> dict[str, tuple[float, float]]:
        """Every dock's position, with docks the layout lacks set out in a row below it."""
        positions = {d.dock_id: (d.x_m, d.y_m) for d in self.docks}
        missing = [s.dock_id for s in self.stations if s.dock_id not in positions]
        lowest = min((y for _, y in positions.values()), default=0.0)
        row_y = lowest - OPEN_FLOOR_SPACING_M if positions else 0.0
        for index, dock_id in enumerate(dict.fromkeys(missing)):
            positions[dock_id] = (index * OPEN_FLOOR_SPACING_M, row_y)
        return positions

    def station_positions(self) -> dict[str, tuple[float, float]]:
        docks = self.dock_positions()
        return {s.module_id: docks[s.dock_id] for s in self.stations}
