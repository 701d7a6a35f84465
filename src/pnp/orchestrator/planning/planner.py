"""Planning: solve the factory's problem (``problem_builder``) and turn the result into a
Plan with real timestamps and a line graph per order."""

from __future__ import annotations

from datetime import datetime, timedelta

from pnp import scheduler
from pnp.orchestrator.planning.plan import (
    Assignment,
    LineEdge,
    LineGraph,
    LineNode,
    Plan,
    PlanStatus,
)
from pnp.orchestrator.planning.problem_builder import PlanningInput, ProblemIndex, build_problem

_STATUS = {
    scheduler.SolveStatus.OPTIMAL: PlanStatus.OPTIMAL,
    scheduler.SolveStatus.FEASIBLE: PlanStatus.FEASIBLE,
    scheduler.SolveStatus.INFEASIBLE: PlanStatus.INFEASIBLE,
    scheduler.SolveStatus.UNKNOWN: PlanStatus.UNKNOWN,
}


def plan_factory(inputs: PlanningInput) -> Plan:
    """Plans every open order that the live modules can make. Blocking: run off the loop."""
    problem, index, unplanned = build_problem(inputs)
    if not index.operations:
        return Plan(
            version=inputs.version,
            status=PlanStatus.EMPTY,
            created_at=inputs.origin,
            origin=inputs.origin,
            unplanned_order_ids=unplanned,
        )
    result = scheduler.solve(
        problem,
        scheduler.SolveOptions(
            time_limit=inputs.time_limit, workers=inputs.workers, seed=inputs.seed
        ),
    )
    return _to_plan(inputs, problem, index, unplanned, result)


def _to_plan(
    inputs: PlanningInput,
    problem: scheduler.Problem,
    index: ProblemIndex,
    unplanned: tuple[str, ...],
    result: scheduler.Result,
) -> Plan:
    def at(seconds: int) -> datetime:
        return inputs.origin + timedelta(seconds=seconds)

    assignments = (
        tuple(
            Assignment(
                operation_id=op.operation_id,
                order_id=op.order_id,
                step_id=op.step_id,
                lot=op.lot,
                units=op.units,
                module_id=index.modules[placed.machine].module_id,
                start=at(placed.start),
                end=at(placed.end),
            )
            for placed, op in zip(result.schedule, index.operations, strict=True)
        )
        if result.has_solution
        else ()
    )
    line_graphs = (
        {
            order_id: _line_graph(order_id, problem, result, job, index)
            for job, order_id in enumerate(index.order_ids)
        }
        if result.has_solution
        else {}
    )
    return Plan(
        version=inputs.version,
        status=_STATUS[result.status],
        created_at=inputs.origin,
        origin=inputs.origin,
        assignments=assignments,
        unplanned_order_ids=unplanned,
        makespan_seconds=float(result.makespan or 0),
        weighted_tardiness_seconds=float(result.weighted_tardiness or 0),
        solve_seconds=result.solve_seconds,
        objective=float(result.objective or 0.0),
        objective_bound=float(result.bound or 0.0),
        line_graphs=line_graphs,
    )


def _line_graph(
    order_id: str,
    problem: scheduler.Problem,
    result: scheduler.Result,
    job: int,
    index: ProblemIndex,
) -> LineGraph:
    graph = scheduler.build_line_graph(problem, result, job)
    docks = {m.module_id: m.dock for m in index.modules}
    return LineGraph(
        order_id=order_id,
        nodes=tuple(
            LineNode(module_id=name, dock=docks[name], operation_ids=tuple(data["operations"]))
            for name, data in graph.nodes(data=True)
        ),
        edges=tuple(
            LineEdge(
                from_module_id=a,
                to_module_id=b,
                transport_seconds=int(data["transport"]),
                flows=tuple(data["flows"]),
            )
            for a, b, data in graph.edges(data=True)
        ),
    )
