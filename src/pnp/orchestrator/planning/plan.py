"""The plan as the orchestrator keeps and shows it: real times, module ids, line graphs."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class PlanStatus(enum.Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    EMPTY = "empty"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Assignment:
    operation_id: str
    order_id: str
    step_id: str
    lot: int
    units: int
    module_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class LineNode:
    module_id: str
    dock: str
    operation_ids: tuple[str, ...]


@dataclass(frozen=True)
class LineEdge:
    from_module_id: str
    to_module_id: str
    transport_seconds: int
    flows: tuple[str, ...]


@dataclass(frozen=True)
class LineGraph:
    """An order's production line: modules as nodes, material flow as edges."""

    order_id: str
    nodes: tuple[LineNode, ...] = ()
    edges: tuple[LineEdge, ...] = ()


@dataclass(frozen=True)
class Plan:
    version: int
    status: PlanStatus
    created_at: datetime
    origin: datetime
    assignments: tuple[Assignment, ...] = ()
    unplanned_order_ids: tuple[str, ...] = ()
    makespan_seconds: float = 0.0
    weighted_tardiness_seconds: float = 0.0
    solve_seconds: float = 0.0
    objective: float = 0.0
    objective_bound: float = 0.0
    line_graphs: dict[str, LineGraph] = field(default_factory=dict)

    def line_graph(self, order_id: str) -> LineGraph:
        return self.line_graphs.get(order_id, LineGraph(order_id=order_id))
