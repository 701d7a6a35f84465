"""Seeded wear for simulated modules: healthy for a while, then drift, then failure.

A module that wears reports its condition while it runs: vibration (mm/s RMS) and
temperature (degrees C) around a healthy baseline with noise. From execution
``onset`` on, a fault develops: vibration, temperature and durations drift upwards,
growing with the square of the fault's progress, until execution ``onset + life``,
from which every execution fails (the bearing has seized) until the module is
maintained. ``onset=None`` is a healthy module that never wears. Everything comes from
the seed, so a run can be repeated and detection measured against the known failure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HEALTHY_VIBRATION_MM_S = 2.0
HEALTHY_TEMPERATURE_C = 45.0


@dataclass(frozen=True)
class WearProfile:
    onset: int | None = None  # the execution the fault starts at; None: never
    life: int = 20  # executions from onset to failure
    vibration_drift: float = 6.0  # mm/s added at failure
    temperature_drift: float = 25.0  # degrees C added at failure
    duration_drift: float = 0.3  # durations this much longer at failure
    noise: float = 0.05  # relative noise of the readings


@dataclass(frozen=True)
class Condition:
    vibration_mm_s: float
    temperature_c: float
    duration_factor: float
    failed: bool


class Wear:
    def __init__(self, profile: WearProfile, seed: int = 0) -> None:
        if profile.life < 1:
            raise ValueError("life must be at least one execution")
        self.profile = profile
        self.rng = random.Random(seed)
        self.executions = 0

    @property
    def failure_at(self) -> int | None:
        """The first execution that fails, or None for a module that never wears."""
        onset = self.profile.onset
        return None if onset is None else onset + self.profile.life

    def progress(self, execution: int) -> float:
        """How far the fault has gone at ``execution``: 0 (none) .. 1 (failed)."""
        onset = self.profile.onset
        if onset is None or execution < onset:
            return 0.0
        return min(1.0, (execution - onset) / self.profile.life)

    def next_execution(self) -> Condition:
        """The condition of the next execution (advances the count)."""
        execution = self.executions
        self.executions += 1
        return self.condition(execution)

    def condition(self, execution: int) -> Condition:
        """A reading of ``execution``'s condition (noise drawn from the seed)."""
        p = self.progress(execution) ** 2
        noise = self.profile.noise
        return Condition(
            vibration_mm_s=(HEALTHY_VIBRATION_MM_S + self.profile.vibration_drift * p)
            * self.rng.gauss(1.0, noise),
            temperature_c=(HEALTHY_TEMPERATURE_C + self.profile.temperature_drift * p)
            * self.rng.gauss(1.0, noise / 2),
            duration_factor=1.0 + self.profile.duration_drift * p,
            failed=self.failure_at is not None and execution >= self.failure_at,
        )

    def maintained(self) -> None:
        """Serviced: as new, and the fault (if any) starts again ``onset`` executions on."""
        self.executions = 0
