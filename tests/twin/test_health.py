"""Health from telemetry: a healthy module stays healthy under noise, a wearing one
(the simulator's seeded wear) falls below the threshold before it fails, one bad
reading raises no alarm, and a proposal is a window ahead of now."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from pnp.orchestrator.twin.health import (
    ExecutionSample,
    HealthSettings,
    health_of,
    propose,
)
from pnp.sdk.wear import Wear, WearProfile

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SETTINGS = HealthSettings()


def samples_of(wear: Wear, count: int, seed: int) -> list[ExecutionSample]:
    """What the factory records of ``count`` executions: duration ratio and condition."""
    noise = random.Random(seed)
    out = []
    for k in range(count):
        condition = wear.next_execution()
        if condition.failed:
            break
        out.append(
            ExecutionSample(
                T0 + timedelta(minutes=10 * k),
                {
                    "duration_ratio": condition.duration_factor * noise.gauss(1.0, 0.05),
                    "VibrationMmS": condition.vibration_mm_s,
                    "TemperatureC": condition.temperature_c,
                },
            )
        )
    return out


@pytest.mark.parametrize("seed", range(20))
def test_a_healthy_module_stays_above_the_threshold(seed):
    history = samples_of(Wear(WearProfile(onset=None), seed=seed), 200, seed)
    for end in range(SETTINGS.baseline + SETTINGS.at_least, len(history) + 1):
        health = health_of("laser", history[:end], SETTINGS)
        assert health.score is not None and health.score >= SETTINGS.threshold, end


@pytest.mark.parametrize("seed", range(20))
def test_a_wearing_module_is_flagged_before_it_fails(seed):
    wear = Wear(WearProfile(onset=30, life=20), seed=seed)
    history = samples_of(wear, 100, seed)
    assert len(history) == wear.failure_at  # the executions before the first failure
    flagged = next(
        end
        for end in range(SETTINGS.baseline + SETTINGS.at_least, len(history) + 1)
        if health_of("laser", history[:end], SETTINGS).score < SETTINGS.threshold
    )
    assert 30 < flagged < wear.failure_at  # after the fault began, before the failure


def test_one_bad_reading_raises_no_alarm():
    history = samples_of(Wear(WearProfile(onset=None), seed=1), 30, 1)
    spike = ExecutionSample(
        history[-1].ended_at + timedelta(minutes=1),
        {"duration_ratio": 1.0, "VibrationMmS": 40.0, "TemperatureC": 45.0},
    )
    health = health_of("laser", [*history, spike], SETTINGS)
    assert health.score == 1.0


def test_too_few_executions_are_not_scored_and_propose_nothing():
    history = samples_of(Wear(WearProfile(onset=0, life=5), seed=1), SETTINGS.baseline, 1)
    health = health_of("laser", history, SETTINGS)
    assert health.score is None
    assert propose(health, T0, SETTINGS) is None


def test_a_proposal_is_a_window_starting_after_the_lead_time():
    wear = Wear(WearProfile(onset=10, life=10), seed=3)
    history = samples_of(wear, 19, 3)
    health = health_of("laser", history, SETTINGS)
    proposal = propose(health, T0, SETTINGS)
    assert proposal is not None
    assert (proposal.start, proposal.end) == (
        T0 + SETTINGS.lead,
        T0 + SETTINGS.lead + SETTINGS.duration,
    )
    assert health.worst_feature in proposal.reason
