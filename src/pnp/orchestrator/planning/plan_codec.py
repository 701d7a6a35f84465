"""A plan to and from JSON, for the store's plan versions (restart picks up the newest)."""

from __future__ import annotations

import json
from datetime import datetime

from pnp.orchestrator.planning.plan import (
    Assignment,
    LineEdge,
    LineGraph,
    LineNode,
    Plan,
    PlanStatus,
)


def plan_to_json(plan: Plan) -> str:
    return json.dumps(
        {
            "version": plan.version,
            "status": plan.status.value,
            "created_at": plan.created_at.isoformat(),
            "origin": plan.origin.isoformat(),
            "assignments": [
                {
                    "operation_id": a.operation_id,
                    "order_id": a.order_id,
                    "step_id": a.step_id,
                    "lot": a.lot,
                    "units": a.units,
                    "module_id": a.module_id,
                    "start": a.start.isoformat(),
                    "end": a.end.isoformat(),
                }
                for a in plan.assignments
            ],
            "unplanned_order_ids": list(plan.unplanned_order_ids),
            "makespan_seconds": plan.makespan_seconds,
            "weighted_tardiness_seconds": plan.weighted_tardiness_seconds,
            "solve_seconds": plan.solve_seconds,
            "objective": plan.objective,
            "objective_bound": plan.objective_bound,
            "line_graphs": [
                {
                    "order_id": graph.order_id,
                    "nodes": [[n.module_id, n.dock, list(n.operation_ids)] for n in graph.nodes],
                    "edges": [
                        [e.from_module_id, e.to_module_id, e.transport_seconds, list(e.flows)]
                        for e in graph.edges
                    ],
                }
                for graph in plan.line_graphs.values()
            ],
        },
        separators=(",", ":"),
    )


def plan_from_json(text: str) -> Plan:
    data = json.loads(text)
    graphs = {
        g["order_id"]: LineGraph(
            order_id=g["order_id"],
            nodes=tuple(LineNode(m, d, tuple(ops)) for m, d, ops in g["nodes"]),
            edges=tuple(LineEdge(a, b, int(t), tuple(f)) for a, b, t, f in g["edges"]),
        )
        for g in data["line_graphs"]
    }
    return Plan(
        version=int(data["version"]),
        status=PlanStatus(data["status"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        origin=datetime.fromisoformat(data["origin"]),
        assignments=tuple(
            Assignment(
                operation_id=a["operation_id"],
                order_id=a["order_id"],
                step_id=a["step_id"],
                lot=int(a["lot"]),
                units=int(a["units"]),
                module_id=a["module_id"],
                start=datetime.fromisoformat(a["start"]),
                end=datetime.fromisoformat(a["end"]),
            )
            for a in data["assignments"]
        ),
        unplanned_order_ids=tuple(data["unplanned_order_ids"]),
        makespan_seconds=float(data["makespan_seconds"]),
        weighted_tardiness_seconds=float(data["weighted_tardiness_seconds"]),
        solve_seconds=float(data["solve_seconds"]),
        objective=float(data["objective"]),
        objective_bound=float(data["objective_bound"]),
        line_graphs=graphs,
    )
