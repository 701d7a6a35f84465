"""Planning: open orders and live modules in, a plan with a line graph per order out."""

from pnp.orchestrator.planning.plan import (
    Assignment,
    LineEdge,
    LineGraph,
    LineNode,
    Plan,
    PlanStatus,
)
from pnp.orchestrator.planning.planner import plan_factory
from pnp.orchestrator.planning.problem_builder import PlanningInput

__all__ = [
    "Assignment",
    "LineEdge",
    "LineGraph",
    "LineNode",
    "Plan",
    "PlanStatus",
    "PlanningInput",
    "plan_factory",
]
