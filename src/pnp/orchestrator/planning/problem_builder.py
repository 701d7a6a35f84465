"""From the factory's state to a ``scheduler.Problem``.

Times are whole seconds from the plan's origin (the moment planning starts). Every
open order contributes all its operations:

- waiting ones get one mode per capable module (not the modules they already failed
  on, when another can do them), with that module's time-model duration and, where
  the module declares a changeover on a parameter, a family naming the value;
- running ones are frozen where and when they started;
- done ones are frozen so that they end when they really ended, which keeps their
  successors' precedence and transport true and puts them in the order's line graph.

Modules holding frozen work that may no longer take new work (lost, draining) stay in
the problem for that work only: no waiting operation gets a mode on them. Orders with
a waiting step no live module can do are left out and reported as unplanned.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pnp import scheduler
from pnp.orchestrator.domain.attempts import Attempt, OperationProgress, OperationStatus
from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.domain.matching import capable_modules
from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.domain.operations import OperationSpec, expand_order
from pnp.orchestrator.domain.orders import OrderRecord
from pnp.orchestrator.planning.maintenance import MaintenanceWindow, availability

# The reference design: due dates first, then finishing early, then keeping operations where
# the previous plan had them. Makespan before stability is what lets a newly plugged-in
# module take work; stability still decides between plans that finish equally early.
FACTORY_OBJECTIVES = (
    scheduler.Objective.WEIGHTED_TARDINESS,
    scheduler.Objective.MAKESPAN,
    scheduler.Objective.PLAN_STABILITY,
)


@dataclass(frozen=True)
class PlanningInput:
    orders: tuple[OrderRecord, ...]
    modules: tuple[ModuleDescription, ...]  # those that may take new work
    layout: Layout | None
    origin: datetime
    version: int
    time_limit: float = 5.0
    workers: int = 2
    seed: int = 0
    # Where each operation stands (from the attempts).
    progress: Mapping[str, OperationProgress] = field(default_factory=dict)
    # Modules that ran or run attempts but take no new work (lost, draining); work
    # running on a lost one is planned again elsewhere, on a draining one it finishes.
    retired_modules: tuple[ModuleDescription, ...] = ()
    lost_module_ids: frozenset[str] = frozenset()
    # The plan being replaced: operation id -> (module id, planned start).
    previous: Mapping[str, tuple[str, datetime]] = field(default_factory=dict)
    # Planned maintenance: module id -> windows [start, end) when it takes no new work.
    maintenance: Mapping[str, tuple[MaintenanceWindow, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProblemIndex:
    """Positions in the scheduler problem, back to the factory's names."""

    operations: tuple[OperationSpec, ...]
    modules: tuple[ModuleDescription, ...]
    order_ids: tuple[str, ...]


def build_problem(
    inputs: PlanningInput,
) -> tuple[scheduler.Problem, ProblemIndex, tuple[str, ...]]:
    live = {m.module_id: m for m in inputs.modules}
    retired = {m.module_id: m for m in inputs.retired_modules if m.module_id not in live}
    modules = tuple(sorted([*live.values(), *retired.values()], key=lambda m: m.module_id))
    at = {m.module_id: i for i, m in enumerate(modules)}
    live_modules = tuple(m for m in modules if m.module_id in live)

    operations: list[scheduler.Operation] = []
    specs: list[OperationSpec] = []
    jobs: list[scheduler.Job] = []
    order_ids: list[str] = []
    unplanned: list[str] = []
    for order in inputs.orders:
        job = len(jobs)
        built = [
            _operation(op, job, live_modules, modules, at, inputs.lost_module_ids, inputs)
            for op in expand_order(order.order_id, order.recipe)
        ]
        complete = [b for b in built if b is not None]
        if len(complete) < len(built):
            unplanned.append(order.order_id)
            continue
        jobs.append(_job(order, inputs.origin))
        order_ids.append(order.order_id)
        for op, operation in zip(expand_order(order.order_id, order.recipe), complete, strict=True):
            specs.append(op)
            operations.append(operation)

    operations = _without_overlapping_facts(operations)
    position = {op.operation_id: i for i, op in enumerate(specs)}
    problem = scheduler.Problem(
        machines=tuple(
            # A retired module keeps its frozen work; no waiting operation has a mode there.
            scheduler.Machine(
                m.module_id,
                availability=availability(
                    inputs.maintenance.get(m.module_id, ()),
                    inputs.origin,
                    _busy_until(operations, at[m.module_id]),
                ),
                changeovers=_changeovers(m, specs, operations, at[m.module_id]),
            )
            for m in modules
        ),
        jobs=tuple(jobs),
        operations=tuple(operations),
        precedences=tuple(
            scheduler.Precedence(before=position[before], after=position[op.operation_id])
            for op in specs
            for before in op.after
        ),
        transport=_transport(modules, inputs.layout),
        previous_plan=_previous(specs, inputs, at),
        objectives=FACTORY_OBJECTIVES,
    )
    return problem, ProblemIndex(tuple(specs), modules, tuple(order_ids)), tuple(unplanned)


def _operation(
    op: OperationSpec,
    job: int,
    live_modules: tuple[ModuleDescription, ...],
    modules: tuple[ModuleDescription, ...],
    at: dict[str, int],
    lost: frozenset[str],
    inputs: PlanningInput,
) -> scheduler.Operation | None:
    entry = inputs.progress.get(op.operation_id)
    if entry is not None and entry.status is not OperationStatus.WAITING:
        frozen = _frozen(op, entry.attempt, modules, at, lost, inputs.origin)
        if frozen is not None:
            return scheduler.Operation(op.operation_id, job, (frozen[0],), frozen=frozen[1])
    capable = capable_modules(op, live_modules)
    failed_on = set(entry.failed_modules) if entry is not None else set()
    if any(m.module_id not in failed_on for m in capable):
        capable = [m for m in capable if m.module_id not in failed_on]
    if not capable:
        return None
    return scheduler.Operation(op.operation_id, job, tuple(_mode(op, m, at) for m in capable))


def _busy_until(operations: list[scheduler.Operation], machine: int) -> int:
    """When the work frozen on ``machine`` (running or done) ends, in plan seconds."""
    return max(
        (
            op.frozen.start + op.modes[0].duration
            for op in operations
            if op.frozen is not None and op.frozen.machine == machine
        ),
        default=0,
    )


def _frozen(
    op: OperationSpec,
    attempt: Attempt | None,
    modules: tuple[ModuleDescription, ...],
    at: dict[str, int],
    lost: frozenset[str],
    origin: datetime,
) -> tuple[scheduler.Mode, scheduler.Placement] | None:
    if attempt is None or attempt.module_id not in at:
        return None  # ran on a module we no longer know: plan it as if waiting
    if attempt.ended_at is None and attempt.module_id in lost:
        return None  # running on a module that is gone: it will be run again elsewhere
    module = modules[at[attempt.module_id]]
    if module.capability(op.capability) is None:
        return None
    mode = _mode(op, module, at)
    if attempt.ended_at is not None:  # done: end where it really ended
        start = _seconds(attempt.ended_at, origin) - mode.duration
    else:  # running: where it started, and busy until at least just after now
        start = max(_seconds(attempt.started_at, origin), 1 - mode.duration)
    return mode, scheduler.Placement(machine=at[attempt.module_id], start=start)


def _without_overlapping_facts(operations: list[scheduler.Operation]) -> list[scheduler.Operation]:
    """Frozen work placed so that no module ran two things at once.

    A done operation is placed to end where it really ended, with its time model's
    duration; when it really ran shorter than the model (or its end was only learned
    late, after an orchestrator restart), that span reaches back over the operation
    before it on the same module. Those are facts, not choices: the later one is moved
    to start where the earlier one ends (a done one keeps its end and gets shorter, a
    running one keeps its duration), so the planner never refuses the factory's own
    history as overbooked.
    """
    result = list(operations)
    frozen_on: dict[int, list[tuple[int, scheduler.Placement]]] = {}
    for index, operation in enumerate(result):
        if operation.frozen is not None:
            frozen_on.setdefault(operation.frozen.machine, []).append((index, operation.frozen))
    for placed in frozen_on.values():
        placed.sort(key=lambda p: (p[1].start, result[p[0]].modes[0].duration))
        free_from: int | None = None
        for index, frozen in placed:
            operation = result[index]
            start, mode = frozen.start, operation.modes[0]
            end = start + mode.duration
            if free_from is not None and start < free_from:
                done = end <= 0  # it ended before now: keep the end, shorten the span
                new_start = free_from
                duration = max(0, end - new_start) if done else mode.duration
                result[index] = dataclasses.replace(
                    operation,
                    modes=(dataclasses.replace(mode, duration=duration),),
                    frozen=dataclasses.replace(frozen, start=new_start),
                )
                end = new_start + duration
            free_from = end if free_from is None else max(free_from, end)
    return result


def _mode(op: OperationSpec, module: ModuleDescription, at: dict[str, int]) -> scheduler.Mode:
    capability = module.capability(op.capability)
    assert capability is not None  # the module was chosen because it offers it
    return scheduler.Mode(
        machine=at[module.module_id],
        duration=capability.time_model.duration_seconds(op.units),
        family=_family(op, capability.time_model.changeovers),
    )


def _family(op: OperationSpec, changeovers: tuple[tuple[str, float], ...]) -> str | None:
    """What the module must be set up for: the values of its changeover parameters."""
    if not changeovers:
        return None
    values = [f"{name}={op.parameters.get(name, '')}" for name, _ in changeovers]
    return f"{op.capability}:" + ",".join(values)


def _changeovers(
    module: ModuleDescription,
    specs: list[OperationSpec],
    operations: list[scheduler.Operation],
    machine: int,
) -> tuple[scheduler.Changeover, ...]:
    """Seconds between every two families that meet on this module."""
    families: dict[str, str] = {}  # family -> capability
    for spec, operation in zip(specs, operations, strict=True):
        for mode in operation.modes:
            if mode.machine == machine and mode.family is not None:
                families[mode.family] = spec.capability
    changes = []
    for a, capability_a in families.items():
        for b, capability_b in families.items():
            if a == b or capability_a != capability_b:
                continue
            seconds = _changeover_seconds(module, capability_a, a, b)
            if seconds:
                changes.append(scheduler.Changeover(a, b, seconds))
    return tuple(changes)


def _changeover_seconds(module: ModuleDescription, capability: str, a: str, b: str) -> int:
    values_a = dict(v.split("=", 1) for v in a.split(":", 1)[1].split(","))
    values_b = dict(v.split("=", 1) for v in b.split(":", 1)[1].split(","))
    offer = module.capability(capability)
    assert offer is not None  # the families are of operations this module can do
    # Several parameters changing at once take the longest of their changeovers.
    return math.ceil(
        max(
            (s for name, s in offer.time_model.changeovers if values_a[name] != values_b[name]),
            default=0,
        )
    )


def _previous(
    specs: list[OperationSpec], inputs: PlanningInput, at: dict[str, int]
) -> tuple[scheduler.Placement | None, ...]:
    if not inputs.previous:
        return ()
    placements: list[scheduler.Placement | None] = []
    for op in specs:
        planned = inputs.previous.get(op.operation_id)
        if planned is None or planned[0] not in at:
            placements.append(None)
        else:
            start = max(0, _seconds(planned[1], inputs.origin))
            placements.append(scheduler.Placement(machine=at[planned[0]], start=start))
    return tuple(placements)


def _job(order: OrderRecord, origin: datetime) -> scheduler.Job:
    spec = order.recipe.spec
    due = None if spec.due is None else math.floor((spec.due - origin).total_seconds())
    return scheduler.Job(name=order.order_id, weight=spec.priority, due=due)


def _transport(
    modules: tuple[ModuleDescription, ...], layout: Layout | None
) -> tuple[tuple[int, ...], ...] | None:
    if layout is None:
        return None  # an open floor without a layout: no transport times known
    return tuple(tuple(layout.transport_seconds(a.dock, b.dock) for b in modules) for a in modules)


def _seconds(moment: datetime, origin: datetime) -> int:
    return math.floor((moment - origin).total_seconds())
