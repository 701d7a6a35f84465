"""Planning: open orders and live modules in, a plan with a line graph per order out."""

from orchestrator.planning.plan import Assignment, LineEdge, LineGraph, LineNode, Plan, PlanStatus
from orchestrator.planning.planner import PlanningInput, plan_factory

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
