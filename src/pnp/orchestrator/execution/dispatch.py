"""Which operations to start now: a pure decision over the plan and what is true now.

Each module works through its planned sequence in order. Its next unfinished
operation starts when the module is ready (connected, no active attempt, the skill
Idle), every predecessor is done, and the material has had time to arrive: the
predecessor's end plus the transport time between the two docks. Starting earlier
than planned is fine; skipping ahead in a module's sequence is not (the plan's
changeovers and priorities depend on that order). Early, but not across maintenance:
nothing starts on a module inside one of its maintenance windows, and an operation the
plan put after a window waits for the window's end.

An operation that failed on a module is not started there again by a plan made before
that failure: the replan the failure causes places it on a module it did not fail on
where one can do it (``planning``), and only keeps it here when none can. Until that
plan arrives, the module waits rather than repeat the failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pnp.orchestrator.domain.attempts import OperationProgress, OperationStatus
from pnp.orchestrator.domain.operations import OperationSpec


@dataclass(frozen=True)
class PlannedOperation:
    spec: OperationSpec
    module_id: str
    start: datetime
    planned_at: datetime | None = None  # the plan's origin: what it knew of failures


@dataclass(frozen=True)
class Dispatch:
    spec: OperationSpec
    module_id: str


def next_dispatches(
    planned: list[PlannedOperation],
    progress: Mapping[str, OperationProgress],
    ready_modules: set[str],
    docks: Mapping[str, str],
    transport_seconds: Callable[[str, str], int],
    now: datetime,
    maintenance: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> list[Dispatch]:
    """The operations to start now, at most one per module. ``maintenance``: per module,
    its maintenance windows [start, end)."""
    by_module: dict[str, list[PlannedOperation]] = {}
    for item in sorted(planned, key=lambda p: (p.start, p.spec.operation_id)):
        by_module.setdefault(item.module_id, []).append(item)
    decisions = []
    for module_id, sequence in by_module.items():
        if module_id not in ready_modules:
            continue
        upcoming = next(
            (
                p
                for p in sequence
                if _status(progress, p.spec.operation_id) is not OperationStatus.DONE
            ),
            None,
        )
        if (
            upcoming is None
            or _status(progress, upcoming.spec.operation_id) is not OperationStatus.WAITING
        ):
            continue
        if _repeats_a_failure(upcoming, progress):
            continue
        windows = (maintenance or {}).get(module_id, ())
        if _held_for_maintenance(upcoming, windows, now):
            continue
        if _material_arrived(upcoming, progress, docks, transport_seconds, now):
            decisions.append(Dispatch(upcoming.spec, module_id))
    return decisions


def _held_for_maintenance(
    item: PlannedOperation, windows: Sequence[tuple[datetime, datetime]], now: datetime
) -> bool:
    return any(start <= now < end or (item.start >= end and now < end) for start, end in windows)


def _status(progress: Mapping[str, OperationProgress], operation_id: str) -> OperationStatus:
    entry = progress.get(operation_id)
    return entry.status if entry is not None else OperationStatus.WAITING


def _repeats_a_failure(item: PlannedOperation, progress: Mapping[str, OperationProgress]) -> bool:
    """True when the operation failed on this module after the plan was made."""
    entry = progress.get(item.spec.operation_id)
    if entry is None or item.module_id not in entry.failed_modules or item.planned_at is None:
        return False
    return entry.last_failed_at is None or entry.last_failed_at >= item.planned_at


def _material_arrived(
    item: PlannedOperation,
    progress: Mapping[str, OperationProgress],
    docks: Mapping[str, str],
    transport_seconds: Callable[[str, str], int],
    now: datetime,
) -> bool:
    for before in item.spec.after:
        done = progress.get(before)
        if done is None or done.status is not OperationStatus.DONE or done.attempt is None:
            return False
        attempt = done.attempt
        if attempt.ended_at is None:
            return False
        from_dock = docks.get(attempt.module_id)
        to_dock = docks.get(item.module_id)
        travel = transport_seconds(from_dock, to_dock) if from_dock and to_dock else 0
        if now < attempt.ended_at + timedelta(seconds=travel):
            return False
    return True
