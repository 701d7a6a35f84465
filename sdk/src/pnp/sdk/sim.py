"""The reference simulated module: a catalog kind plugged into a dock.

Every capability of the kind gets a simulated skill: it takes the time its time model
gives for the lot (with seeded noise), reports progress, draws power, counts units,
and fails at the injected rate. ``time_scale`` compresses factory time (60 runs an
hour in a minute). It serves OPC UA and registers over gRPC like any vendor module.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import CapabilitySpec
from pnp.sdk.module import Module
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.skill import SkillContext
from pnp.sdk.wear import Wear, WearProfile

PROGRESS_STEPS = 10


class InjectedFailure(RuntimeError):
    """The simulator's deliberate failure (failure injection)."""


@dataclass(frozen=True)
class SimulatedModuleConfig:
    kind: str
    dock: str
    orchestrator: str | None = "127.0.0.1:50051"
    module_id: str = ""  # default: <kind>-<dock>, lower case
    serial: str = ""  # default: SIM-<module id>
    opcua_host: str = "127.0.0.1"
    opcua_port: int = 0  # 0: any free port
    time_scale: float = 1.0
    seed: int = 0
    noise: float = 0.05  # relative spread of durations around the time model
    failure_rate: float = 0.0  # probability that an execution fails
    journal: str | None = None  # file of accepted executions, one JSON line each
    security: ModuleSecurity | None = None  # None: plain gRPC and OPC UA NoSecurity
    opcua_cache: Path | bool = True  # the OPC UA address-space cache: see pnp.sdk.opcua_cache
    advertised_endpoint: str | None = None  # what the orchestrator dials; None: the served one
    wear: WearProfile | None = None  # None: no condition telemetry, never wears out
    replace: bool = False  # take the id over from another unit holding it (a deliberate swap)

    @property
    def resolved_module_id(self) -> str:
        return self.module_id or f"{self.kind}-{self.dock}".lower()


class SimulatedModule(Module):
    def __init__(self, config: SimulatedModuleConfig) -> None:
        if not 0.0 <= config.failure_rate <= 1.0:
            raise ValueError("failure_rate must be between 0 and 1")
        module_type = load_catalog().module_type(config.kind)
        module_id = config.resolved_module_id
        super().__init__(
            module_type,
            module_id=module_id,
            dock=config.dock,
            serial=config.serial or f"SIM-{module_id}",
            kind=config.kind,
            orchestrator=config.orchestrator,
            opcua_host=config.opcua_host,
            opcua_port=config.opcua_port,
            time_scale=config.time_scale,
            seed=config.seed,
            journal=config.journal,
            security=config.security,
            opcua_cache=config.opcua_cache,
            advertised_endpoint=config.advertised_endpoint,
            replace=config.replace,
        )
        self.config = config
        self.rng = random.Random(config.seed)
        self._fail_next = False
        self.wear = None if config.wear is None else Wear(config.wear, seed=config.seed)
        if self.wear is not None:  # condition channels exist from the start, as on a real one
            self.telemetry.update({"VibrationMmS": 0.0, "TemperatureC": 0.0})
        self.telemetry.update(
            {
                "PowerKw": self._idle_power(),
                "UnitsProduced": 0.0,
                "ExecutionsCompleted": 0.0,
                "ExecutionsFailed": 0.0,
            }
        )
        for capability in module_type.capabilities:
            self.add_skill(capability.name, self._simulated_skill(capability))

    def fail_next_execution(self) -> None:
        """Failure injection on cue: the next execution aborts half-way (a demo, a test)."""
        self._fail_next = True

    def _idle_power(self) -> float:
        return round(self.module_type.utilities.power_kw * 0.1, 3)

    def _simulated_skill(self, capability: CapabilitySpec):
        async def run(ctx: SkillContext) -> dict:
            nominal = capability.time.seconds_for(ctx.units)
            duration = max(0.0, self.rng.gauss(nominal, nominal * self.config.noise))
            fails = self.rng.random() < self.config.failure_rate
            fail_at = self.rng.randint(1, PROGRESS_STEPS) if fails else None
            condition = self.wear.next_execution() if self.wear is not None else None
            if condition is not None:
                duration *= condition.duration_factor
                if condition.failed:  # worn out: fails early, every time, until serviced
                    fail_at = 1
                self.set_telemetry("VibrationMmS", round(condition.vibration_mm_s, 4))
                self.set_telemetry("TemperatureC", round(condition.temperature_c, 3))
            if self._fail_next:  # armed by fail_next_execution(): half-way through this one
                self._fail_next, fail_at = False, PROGRESS_STEPS // 2
            self.set_telemetry("PowerKw", self.module_type.utilities.power_kw)
            try:
                for step in range(1, PROGRESS_STEPS + 1):
                    await ctx.sleep(duration / PROGRESS_STEPS)
                    if step == fail_at:
                        self._count("ExecutionsFailed")
                        raise InjectedFailure(f"simulated fault in {capability.name}")
                    ctx.progress(step / PROGRESS_STEPS)
            finally:
                self.set_telemetry("PowerKw", self._idle_power())
            self._count("ExecutionsCompleted")
            self._count("UnitsProduced", ctx.units)
            return {"duration_s": round(duration, 3), "units": ctx.units}

        return run

    def _count(self, name: str, amount: float = 1.0) -> None:
        self.set_telemetry(name, self.telemetry.get(name, 0.0) + amount)
