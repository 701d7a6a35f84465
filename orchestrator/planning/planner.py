"""From the factory's state to a scheduler problem, and from its result to a Plan.

Times in the scheduler are whole seconds from the plan's origin (the moment planning
starts). Orders with a step no live module can do are left out of the problem and
listed as unplanned; they wait for a capable module to be plugged in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import scheduler
from orchestrator.domain.attempts import OperationProgress, OperationStatus
from orchestrator.domain.layout import Layout
from orchestrator.domain.matching import capable_modules
from orchestrator.domain.modules import ModuleDescription
from orchestrator.domain.operations import OperationSpec, expand_order
from orchestrator.domain.orders import OrderRecord
from orchestrator.planning.plan import Assignment, LineEdge, LineGraph, LineNode, Plan, PlanStatus

_STATUS = {
    scheduler.SolveStatus.OPTIMAL: PlanStatus.OPTIMAL,
    scheduler.SolveStatus.FEASIBLE: PlanStatus.FEASIBLE,
    scheduler.SolveStatus.INFEASIBLE: PlanStatus.INFEASIBLE,
    scheduler.SolveStatus.UNKNOWN: PlanStatus.UNKNOWN,
}


@dataclass(frozen=True)
class PlanningInput:
    orders: tuple[OrderRecord, ...]
    modules: tuple[ModuleDescription, ...]
    layout: Layout | None
    origin: datetime
    version: int
    time_limit: float = 5.0
    workers: int = 2
    seed: int = 0
    # Where each operation stands; done and running operations are not planned again.
    progress: Mapping[str, OperationProgress] = field(default_factory=dict)


@dataclass(frozen=True)
class _Index:
    """Positions in the scheduler problem, back to the factory's names."""

    operations: tuple[OperationSpec, ...]
    modules: tuple[ModuleDescription, ...]
    order_ids: tuple[str, ...]


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


def build_problem(inputs: PlanningInput) -> tuple[scheduler.Problem, _Index, tuple[str, ...]]:
    modules = tuple(sorted(inputs.modules, key=lambda m: m.module_id))
    module_index = {m.module_id: i for i, m in enumerate(modules)}
    operations: list[tuple[OperationSpec, int]] = []  # with the job index
    modes: list[tuple[scheduler.Mode, ...]] = []
    jobs: list[scheduler.Job] = []
    order_ids: list[str] = []
    unplanned: list[str] = []
    for order in inputs.orders:
        expanded = [
            op
            for op in expand_order(order.order_id, order.recipe)
            if _still_to_do(op.operation_id, inputs.progress)
        ]
        order_modes = [_modes(op, modules, module_index, inputs.progress) for op in expanded]
        if any(not m for m in order_modes):
            unplanned.append(order.order_id)
            continue
        job = len(jobs)
        jobs.append(_job(order, inputs.origin))
        order_ids.append(order.order_id)
        for operation, operation_modes in zip(expanded, order_modes, strict=True):
            operations.append((operation, job))
            modes.append(operation_modes)
    position = {op.operation_id: i for i, (op, _) in enumerate(operations)}
    problem = scheduler.Problem(
        machines=tuple(scheduler.Machine(m.module_id) for m in modules),
        jobs=tuple(jobs),
        operations=tuple(
            scheduler.Operation(name=op.operation_id, job=op_job, modes=op_modes)
            for (op, op_job), op_modes in zip(operations, modes, strict=True)
        ),
        # A predecessor already done or running is not in the problem: the executor
        # still waits for it (and for the transport) before starting the successor.
        precedences=tuple(
            scheduler.Precedence(before=position[before], after=position[op.operation_id])
            for op, _ in operations
            for before in op.after
            if before in position
        ),
        transport=_transport(modules, inputs.layout),
    )
    index = _Index(tuple(op for op, _ in operations), modules, tuple(order_ids))
    return problem, index, tuple(unplanned)


def _still_to_do(operation_id: str, progress: Mapping[str, OperationProgress]) -> bool:
    entry = progress.get(operation_id)
    return entry is None or entry.status is OperationStatus.WAITING


def _modes(
    operation: OperationSpec,
    modules: tuple[ModuleDescription, ...],
    module_index: dict[str, int],
    progress: Mapping[str, OperationProgress],
) -> tuple[scheduler.Mode, ...]:
    capable = capable_modules(operation, modules)
    # An operation that failed on a module goes elsewhere if anywhere else can do it.
    entry = progress.get(operation.operation_id)
    failed_on = set(entry.failed_modules) if entry is not None else set()
    if any(m.module_id not in failed_on for m in capable):
        capable = [m for m in capable if m.module_id not in failed_on]
    return tuple(
        scheduler.Mode(
            machine=module_index[m.module_id],
            duration=m.capability(operation.capability).time_model.duration_seconds(
                operation.units
            ),
        )
        for m in capable
    )


def _job(order: OrderRecord, origin: datetime) -> scheduler.Job:
    spec = order.recipe.spec
    due = None
    if spec.due is not None:
        due = math.floor((spec.due - origin).total_seconds())
    return scheduler.Job(name=order.order_id, weight=spec.priority, due=due)


def _transport(
    modules: tuple[ModuleDescription, ...], layout: Layout | None
) -> tuple[tuple[int, ...], ...] | None:
    if layout is None:
        return None  # an open floor without a layout: no transport times known
    return tuple(tuple(layout.transport_seconds(a.dock, b.dock) for b in modules) for a in modules)


def _to_plan(
    inputs: PlanningInput,
    problem: scheduler.Problem,
    index: _Index,
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
    order_id: str, problem: scheduler.Problem, result: scheduler.Result, job: int, index: _Index
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
