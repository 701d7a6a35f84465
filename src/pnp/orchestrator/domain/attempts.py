"""Attempts: every try at running an operation on a module, as the factory records it.

An operation is done when one of its attempts completed, running while one is
starting or running, and otherwise waiting (after any number of failed attempts).
The execution id is recorded before Start is called, so a crash between the two
can be reconciled by asking the module about that id.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class AttemptState(enum.Enum):
    STARTING = "starting"  # execution id recorded, Start not yet confirmed
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    # A re-run made while the first attempt's module was lost, overtaken when that module
    # came back and reported the first attempt complete: it does not count.
    SUPERSEDED = "superseded"

    @property
    def is_active(self) -> bool:
        return self in (AttemptState.STARTING, AttemptState.RUNNING)


@dataclass(frozen=True)
class Attempt:
    execution_id: str
    operation_id: str
    order_id: str
    module_id: str
    epoch: int
    capability: str
    parameters: dict[str, Any]
    units: int
    state: AttemptState
    started_at: datetime
    ended_at: datetime | None = None
    results: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class OperationStatus(enum.Enum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True)
class OperationProgress:
    status: OperationStatus
    attempt: Attempt | None  # the completed or active attempt; None when waiting
    failed_attempts: int = 0
    failed_modules: tuple[str, ...] = ()  # where earlier attempts failed, oldest first
    last_failed_at: datetime | None = None  # when the latest failed attempt ended


def progress_of(attempts: Iterable[Attempt]) -> dict[str, OperationProgress]:
    """Per operation id, where it stands, from all attempts ever made."""
    by_operation: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        by_operation.setdefault(attempt.operation_id, []).append(attempt)
    progress = {}
    for operation_id, tries in by_operation.items():
        failed_on = tuple(a.module_id for a in tries if a.state is AttemptState.FAILED)
        done = next((a for a in tries if a.state is AttemptState.COMPLETE), None)
        active = next((a for a in tries if a.state.is_active), None)
        if done is not None:
            status, current = OperationStatus.DONE, done
        elif active is not None:
            status, current = OperationStatus.RUNNING, active
        else:
            status, current = OperationStatus.WAITING, None
        failure_ends = [
            a.ended_at for a in tries if a.state is AttemptState.FAILED and a.ended_at is not None
        ]
        progress[operation_id] = OperationProgress(
            status, current, len(failed_on), failed_on, max(failure_ends, default=None)
        )
    return progress
