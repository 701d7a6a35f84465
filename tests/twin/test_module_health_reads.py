"""A module's health is read from its first and its latest executions only: on a long
history the score is the one the whole history gives, each refresh reads a bounded number
of rows however long the module has worked, and the count still covers every execution.

A real SQLite store; executions written straight to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from pnp.orchestrator.domain.attempts import AttemptState
from pnp.orchestrator.service.module_health import (
    SPARE_EXECUTIONS,
    condition_means,
    execution_samples,
    read_module_health,
)
from pnp.orchestrator.store import Store, schema
from pnp.orchestrator.twin.health import CONDITION_CHANNELS, HealthSettings, health_of
from tests.domain.test_matching import laser

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SETTINGS = HealthSettings()
LASER = laser("laser-a", max_mm=10)  # 60 s set-up + 30 s a unit: one unit takes 90 s


def worked(store: Store, executions: int, *, wearing_from: int, other_module_too: bool = True):
    """``executions`` one-unit cuts on laser-a, each reporting vibration; from
    ``wearing_from`` on they take twice as long and vibrate three times as hard. Another
    module's executions interleave (they must not count)."""
    attempts, samples = [], []
    modules = ["laser-a", "laser-b"] if other_module_too else ["laser-a"]
    for n in range(executions):
        worn = n >= wearing_from
        for module_id in modules:
            execution_id = f"{module_id}-{n:06d}"
            start = T0 + timedelta(minutes=3 * n)
            attempts.append(
                {
                    "execution_id": execution_id,
                    "operation_id": f"op-{n}",
                    "order_id": f"ord-{n:05d}",
                    "module_id": module_id,
                    "epoch": 1,
                    "capability": "cutting.laser",
                    "parameters_json": "{}",
                    "units": 1,
                    "state": AttemptState.COMPLETE.value,
                    "started_at": start.isoformat(),
                    "ended_at": (start + timedelta(seconds=180 if worn else 90)).isoformat(),
                    "results_json": "{}",
                    "error": "",
                }
            )
            samples.append(
                {
                    "execution_id": execution_id,
                    "module_id": module_id,
                    "name": CONDITION_CHANNELS[0],
                    "time": (start + timedelta(seconds=30)).isoformat(),
                    "value": (3.0 if worn else 1.0) + 0.01 * (n % 7),
                }
            )
    with store.engine.begin() as connection:
        connection.execute(insert(schema.attempts), attempts)
        connection.execute(insert(schema.telemetry_samples), samples)


def score_over_the_whole_history(store: Store):
    attempts = [a for a in store.attempts.all() if a.module_id == "laser-a"]
    conditions = condition_means(
        store.twin.channels([a.execution_id for a in attempts], CONDITION_CHANNELS)
    )
    return health_of("laser-a", execution_samples(LASER, attempts, conditions), SETTINGS)


def test_a_long_history_scores_as_the_whole_history_does_and_counts_every_execution(tmp_path):
    store = Store.open_sqlite(tmp_path / "pnp.db")
    try:
        worked(store, 600, wearing_from=596)  # the last four wear
        bounded = read_module_health(store, "laser-a", LASER, SETTINGS)
        whole = score_over_the_whole_history(store)
    finally:
        store.close()
    assert bounded == whole
    assert bounded.score is not None and bounded.score < SETTINGS.threshold
    assert bounded.samples == 600  # every settled execution of laser-a, not laser-b's


def test_a_refresh_reads_the_same_rows_however_long_the_module_has_worked(tmp_path, monkeypatch):
    read: list[int] = []  # executions read per refresh

    def counting(store: Store):
        original = store.twin.settled_ends

        def settled_ends(module_id, first, last):
            attempts, count = original(module_id, first, last)
            read.append(len(attempts))
            return attempts, count

        monkeypatch.setattr(store.twin, "settled_ends", settled_ends)

    for executions in (400, 4000):
        store = Store.open_sqlite(tmp_path / f"{executions}.db")
        try:
            worked(store, executions, wearing_from=executions, other_module_too=False)
            counting(store)
            health = read_module_health(store, "laser-a", LASER, SETTINGS)
        finally:
            store.close()
        assert health.samples == executions
    bound = SETTINGS.baseline + SETTINGS.window + 2 * SPARE_EXECUTIONS
    assert read == [bound, bound]


def test_a_short_history_is_read_whole_and_counts_the_executions_with_features(tmp_path):
    store = Store.open_sqlite(tmp_path / "pnp.db")
    try:
        worked(store, 12, wearing_from=12)
        bounded = read_module_health(store, "laser-a", LASER, SETTINGS)
        whole = score_over_the_whole_history(store)
    finally:
        store.close()
    assert bounded == whole
    assert (bounded.score, bounded.samples) == (None, 12)  # too few to know its normal


def test_more_executions_without_features_than_spare_at_an_end_read_the_whole_history(
    tmp_path,
):
    store = Store.open_sqlite(tmp_path / "pnp.db")
    try:
        worked(store, 400, wearing_from=396, other_module_too=False)
        featureless = [  # failed before any of those, with no telemetry: nothing to score
            {
                "execution_id": f"early-{n:03d}",
                "operation_id": f"early-{n}",
                "order_id": "ord-00000",
                "module_id": "laser-a",
                "epoch": 1,
                "capability": "cutting.laser",
                "parameters_json": "{}",
                "units": 1,
                "state": AttemptState.FAILED.value,
                "started_at": (T0 - timedelta(hours=1, minutes=-n)).isoformat(),
                "ended_at": (T0 - timedelta(hours=1, minutes=-n, seconds=-10)).isoformat(),
                "results_json": "{}",
                "error": "no material",
            }
            for n in range(SETTINGS.baseline + SPARE_EXECUTIONS)
        ]
        with store.engine.begin() as connection:
            connection.execute(insert(schema.attempts), featureless)
        bounded = read_module_health(store, "laser-a", LASER, SETTINGS)
        whole = score_over_the_whole_history(store)
    finally:
        store.close()
    assert bounded == whole
