"""A module's health score from the store, reading only what the score looks at.

A score compares the module's recent executions with its first ones (``twin.health``:
a baseline of the first ``baseline`` and a window of the latest ``window``), so it reads
those from the store (``TwinRecords.settled_ends``, with some to spare for executions
that carry no features) and the condition telemetry of those alone: the console, `pnp
status` and /metrics ask for every module's score on each refresh, and reading the
whole history there made each refresh cost seconds on a factory that had run 10,000
orders. Synchronous: run it off the event loop.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.twin_records import StoredChannel
from pnp.orchestrator.twin.health import (
    CONDITION_CHANNELS,
    ExecutionSample,
    Health,
    HealthSettings,
    health_of,
)

# Executions read beyond the baseline and the window, for those without features (an
# execution that failed without condition telemetry says nothing about wear).
SPARE_EXECUTIONS = 25


def read_module_health(
    store: Store, module_id: str, description: ModuleDescription, settings: HealthSettings
) -> Health:
    """The module's health from its first and its latest settled executions: the
    score the whole history gives (read whole only when an end holds more executions
    without features than there are to spare); ``samples`` then counts every settled
    execution."""
    first = settings.baseline + SPARE_EXECUTIONS
    attempts, settled = store.twin.settled_ends(
        module_id, first=first, last=settings.window + SPARE_EXECUTIONS
    )
    if len(attempts) == settled:  # a short history: all of it was read
        return health_of(module_id, _samples(store, description, attempts), settings)
    head = _samples(store, description, attempts[:first])
    tail = _samples(store, description, attempts[first:])
    if len(head) < settings.baseline or len(tail) < settings.window:
        # More executions without features at an end than there are to spare: read the
        # whole history this once, so that the score stays the whole history's.
        everything, _ = store.twin.settled_ends(module_id, first=_EVERY, last=0)
        return health_of(module_id, _samples(store, description, everything), settings)
    return dataclasses.replace(health_of(module_id, [*head, *tail], settings), samples=settled)


_EVERY = 2**62  # as many executions as there are


def _samples(
    store: Store, description: ModuleDescription, attempts: Sequence[Attempt]
) -> list[ExecutionSample]:
    conditions = condition_means(
        store.twin.channels([a.execution_id for a in attempts], CONDITION_CHANNELS)
    )
    return execution_samples(description, attempts, conditions)


def execution_samples(
    description: ModuleDescription,
    attempts: Sequence[Attempt],
    conditions: Mapping[str, Mapping[str, float]],
) -> list[ExecutionSample]:
    """What each settled execution says about the module: how long it took against its
    time model (completed ones), and the mean of each condition channel it reported."""
    samples = []
    for attempt in attempts:
        if attempt.ended_at is None:
            continue
        if attempt.state not in (AttemptState.COMPLETE, AttemptState.FAILED):
            continue
        offer = description.capability(attempt.capability)
        expected = offer.time_model.duration_seconds(attempt.units) if offer else 0
        features = dict(conditions.get(attempt.execution_id, {}))
        if expected > 0 and attempt.state is AttemptState.COMPLETE:
            took = (attempt.ended_at - attempt.started_at).total_seconds()
            features["duration_ratio"] = took / expected
        if features:
            samples.append(ExecutionSample(attempt.ended_at, features))
    return samples


def condition_means(readings: Sequence[StoredChannel]) -> dict[str, dict[str, float]]:
    """Per execution id, the mean of each channel read."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for reading in readings:
        values[reading.execution_id][reading.name].append(reading.value)
    return {
        execution_id: {name: sum(v) / len(v) for name, v in channels.items()}
        for execution_id, channels in values.items()
    }
