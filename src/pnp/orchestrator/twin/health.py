"""A module's health from its own history: robust anomaly scores, no training data.

Each finished execution is a sample of a few features: how long it took against what
the module's time model promised (the duration ratio), and the mean of each condition
channel it reported while running (vibration, temperature). A module is compared with
itself: its first ``baseline`` executions set the median and the MAD (median absolute
deviation) of each feature, which one bad reading cannot move, unlike a mean and a
standard deviation. Each later execution gets a robust z-score per feature; the
module's anomaly is the median, over its last ``window`` executions, of the largest
positive z (drift upwards is wear: slower, hotter, shakier). The median again keeps a
single outlier from raising an alarm.

Health maps the anomaly to 1 (as at the baseline) .. 0 (far gone); below ``threshold``
the factory proposes a maintenance window.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CONDITION_CHANNELS = ("VibrationMmS", "TemperatureC")
MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution, in standard deviations


@dataclass(frozen=True)
class HealthSettings:
    baseline: int = 10  # executions that set the module's normal
    window: int = 5  # recent executions the anomaly is taken over
    at_least: int = 3  # recent executions needed before a score is given
    calm: float = 3.0  # anomaly (robust z) still counted healthy
    failing: float = 9.0  # anomaly counted as health 0
    threshold: float = 0.5  # below this health, propose maintenance
    lead: timedelta = timedelta(minutes=30)  # how soon a proposed window starts
    duration: timedelta = timedelta(hours=2)  # how long a proposed window lasts
    # Floors on the spread, relative to the median: a very steady baseline must not turn
    # ordinary noise into a large z.
    relative_floor: float = 0.05


@dataclass(frozen=True)
class ExecutionSample:
    """One finished execution of a module: when it ended and its features."""

    ended_at: datetime
    features: Mapping[str, float]  # "duration_ratio", and each condition channel's mean


@dataclass(frozen=True)
class Health:
    module_id: str
    score: float | None  # None: not enough executions yet to know the module's normal
    anomaly: float | None
    worst_feature: str
    samples: int


@dataclass(frozen=True)
class Proposal:
    module_id: str
    start: datetime
    end: datetime
    reason: str


def health_of(
    module_id: str, samples: Sequence[ExecutionSample], settings: HealthSettings
) -> Health:
    ordered = sorted(samples, key=lambda s: s.ended_at)
    if len(ordered) < settings.baseline + settings.at_least:
        return Health(module_id, None, None, "", len(ordered))
    baseline, recent = ordered[: settings.baseline], ordered[settings.baseline :]
    recent = recent[-settings.window :]
    names = sorted({name for s in baseline for name in s.features})
    per_sample = []
    worst_count: dict[str, int] = {}
    for sample in recent:
        scores = {
            name: _z(
                sample.features[name],
                [b.features[name] for b in baseline if name in b.features],
                settings,
            )
            for name in names
            if name in sample.features
        }
        if not scores:
            continue
        name, value = max(scores.items(), key=lambda item: item[1])
        per_sample.append(max(0.0, value))
        worst_count[name] = worst_count.get(name, 0) + 1
    if not per_sample:
        return Health(module_id, None, None, "", len(ordered))
    anomaly = statistics.median(per_sample)
    span = settings.failing - settings.calm
    score = min(1.0, max(0.0, 1.0 - (anomaly - settings.calm) / span))
    worst = max(worst_count, key=lambda n: worst_count[n])
    return Health(module_id, score, anomaly, worst, len(ordered))


def propose(health: Health, now: datetime, settings: HealthSettings) -> Proposal | None:
    """A maintenance window when the score has crossed the threshold."""
    if health.score is None or health.score >= settings.threshold:
        return None
    start = now + settings.lead
    return Proposal(
        health.module_id,
        start,
        start + settings.duration,
        f"health {health.score:.2f} below {settings.threshold:.2f}: {health.worst_feature} "
        f"drifting ({health.anomaly:.1f} robust sigmas over the last executions)",
    )


def _z(value: float, baseline: Sequence[float], settings: HealthSettings) -> float:
    if not baseline:
        return 0.0
    median = statistics.median(baseline)
    mad = statistics.median(abs(b - median) for b in baseline)
    spread = max(MAD_TO_SIGMA * mad, settings.relative_floor * abs(median), 1e-9)
    z = (value - median) / spread
    return z if math.isfinite(z) else 0.0
