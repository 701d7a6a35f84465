"""The factory layout (domain) as pnp.v1.FactoryLayout, for GetLayout."""

from __future__ import annotations

from pnp.orchestrator.domain.layout import Layout
from pnp.v1 import layout_pb2


def layout_to_proto(layout: Layout) -> layout_pb2.FactoryLayout:
    return layout_pb2.FactoryLayout(
        name=layout.metadata.name,
        docks=[
            layout_pb2.Dock(
                dock_id=dock.id,
                x_m=dock.position.x_m,
                y_m=dock.position.y_m,
                power_kw=dock.limits.power_kw,
                air_nl_per_min=dock.limits.air_nl_per_min,
                water_l_per_min=dock.limits.water_l_per_min,
            )
            for dock in layout.spec.docks
        ],
        links=[
            layout_pb2.TransportLink(
                from_dock_id=link.from_, to_dock_id=link.to, seconds=link.seconds
            )
            for link in layout.spec.links
        ],
    )
