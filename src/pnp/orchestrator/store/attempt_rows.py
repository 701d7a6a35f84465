"""An attempt as the ``attempts`` table holds it, and back: one row shape for every reader
and writer of the table (the store, its history reads, the twin's reads)."""

from __future__ import annotations

import json
from datetime import datetime

from pnp.orchestrator.domain.attempts import Attempt, AttemptState


def attempt_row(attempt: Attempt) -> dict:
    return {
        "execution_id": attempt.execution_id,
        "operation_id": attempt.operation_id,
        "order_id": attempt.order_id,
        "module_id": attempt.module_id,
        "epoch": attempt.epoch,
        "capability": attempt.capability,
        "parameters_json": json.dumps(attempt.parameters),
        "units": attempt.units,
        "state": attempt.state.value,
        "started_at": attempt.started_at.isoformat(),
        "ended_at": attempt.ended_at.isoformat() if attempt.ended_at else None,
        "results_json": json.dumps(attempt.results, default=str),
        "error": attempt.error,
    }


def attempt_of(row) -> Attempt:
    return Attempt(
        execution_id=row.execution_id,
        operation_id=row.operation_id,
        order_id=row.order_id,
        module_id=row.module_id,
        epoch=row.epoch,
        capability=row.capability,
        parameters=json.loads(row.parameters_json),
        units=row.units,
        state=AttemptState(row.state),
        started_at=datetime.fromisoformat(row.started_at),
        ended_at=datetime.fromisoformat(row.ended_at) if row.ended_at else None,
        results=json.loads(row.results_json or "{}"),
        error=row.error or "",
    )
