"""The orchestrator's view of a module: what it offers, as plain validated values.

The wire form (pnp.v1.ModuleDescriptor) is converted to these in ``orchestrator.api``;
``validate_module`` enforces the limits of design section 9 so nothing unbounded or
non-finite reaches planning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pnp.orchestrator.errors import Violation

MAX_CAPABILITIES = 64
MAX_PARAMETERS = 50
MAX_ALLOWED_VALUES = 200
MAX_TEXT = 200
MAX_UNIT = 32
MAX_SECONDS = 30 * 24 * 3600  # a month: no single job step lasts longer
MAX_UTILITY = 10_000.0
MODULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
CAPABILITY_NAME = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Reports one violation: the field (under ``descriptor.``) and what is wrong with it.
_Report = Callable[[str, str], None]


@dataclass(frozen=True)
class ParameterEnvelope:
    """Accepted values of one parameter: a numeric range, a set of texts, or anything."""

    name: str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    allowed: tuple[str, ...] | None = None
    required: bool = False

    def describe(self) -> str:
        """The envelope in words, e.g. "thickness_mm 0.5..20 mm"."""
        if self.allowed is not None:
            return f"{self.name} in {{{', '.join(self.allowed)}}}"
        if self.minimum is not None:
            unit = f" {self.unit}" if self.unit else ""
            return f"{self.name} {self.minimum:g}..{self.maximum:g}{unit}"
        return f"{self.name} (any value)"


@dataclass(frozen=True)
class TimeModel:
    setup_seconds: float
    seconds_per_unit: float
    batch_capacity: int = 1
    changeovers: tuple[tuple[str, float], ...] = ()

    def duration_seconds(self, units: int) -> int:
        cycles = math.ceil(units / max(1, self.batch_capacity))
        return math.ceil(self.setup_seconds + cycles * self.seconds_per_unit)


@dataclass(frozen=True)
class CapabilityOffer:
    name: str
    parameters: tuple[ParameterEnvelope, ...]
    time_model: TimeModel

    def parameter(self, name: str) -> ParameterEnvelope | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class UtilityNeeds:
    power_kw: float = 0.0
    air_nl_per_min: float = 0.0
    water_l_per_min: float = 0.0


@dataclass(frozen=True)
class ModuleDescription:
    module_id: str
    vendor: str
    model: str
    serial: str
    footprint: str
    dock: str
    opcua_endpoint: str
    kind: str
    capabilities: tuple[CapabilityOffer, ...]
    utilities: UtilityNeeds

    def capability(self, name: str) -> CapabilityOffer | None:
        return next((c for c in self.capabilities if c.name == name), None)


def description_from_dict(data: dict[str, Any]) -> ModuleDescription:
    """The inverse of ``dataclasses.asdict`` on a description (as the store keeps it)."""
    return ModuleDescription(
        **{
            **data,
            "capabilities": tuple(
                CapabilityOffer(
                    name=c["name"],
                    parameters=tuple(
                        ParameterEnvelope(
                            **{
                                **p,
                                "allowed": None if p["allowed"] is None else tuple(p["allowed"]),
                            }
                        )
                        for p in c["parameters"]
                    ),
                    time_model=TimeModel(
                        **{
                            **c["time_model"],
                            "changeovers": tuple(
                                (name, seconds) for name, seconds in c["time_model"]["changeovers"]
                            ),
                        }
                    ),
                )
                for c in data["capabilities"]
            ),
            "utilities": UtilityNeeds(**data["utilities"]),
        }
    )


def validate_module(module: ModuleDescription) -> list[Violation]:
    """Everything wrong with a descriptor, each naming its field; empty when it is fine."""
    problems: list[Violation] = []

    def bad(field: str, description: str) -> None:
        problems.append(Violation(field=f"descriptor.{field}", description=description))

    if not MODULE_ID.fullmatch(module.module_id):
        bad("module_id", f"{module.module_id!r} is not a module id (a-z, 0-9, '.', '_', '-')")
    for name in ("vendor", "model", "serial", "dock", "opcua_endpoint", "kind"):
        if len(getattr(module, name)) > MAX_TEXT:
            bad(name, f"longer than {MAX_TEXT} characters")
    if not module.dock:
        bad("dock", "is required: the dock the module is plugged into")
    if not module.capabilities:
        bad("capabilities", "a module must offer at least one capability")
    if len(module.capabilities) > MAX_CAPABILITIES:
        bad("capabilities", f"{len(module.capabilities)} capabilities; at most {MAX_CAPABILITIES}")
        return problems  # do not walk a hostile list
    seen: set[str] = set()
    for i, capability in enumerate(module.capabilities):
        _validate_capability(f"capabilities[{i}]", capability, bad)
        if capability.name in seen:
            bad(f"capabilities[{i}].name", f"capability {capability.name!r} declared twice")
        seen.add(capability.name)
    for name in ("power_kw", "air_nl_per_min", "water_l_per_min"):
        _check_amount(f"utilities.{name}", getattr(module.utilities, name), MAX_UTILITY, bad)
    return problems


def _validate_capability(field: str, capability: CapabilityOffer, bad: _Report) -> None:
    if not CAPABILITY_NAME.fullmatch(capability.name):
        bad(f"{field}.name", f"{capability.name!r} is not a dotted capability name")
    if len(capability.parameters) > MAX_PARAMETERS:
        bad(f"{field}.parameters", f"more than {MAX_PARAMETERS} parameters")
        return
    names = [p.name for p in capability.parameters]
    for j, parameter in enumerate(capability.parameters):
        where = f"{field}.parameters[{j}]"
        if not PARAMETER_NAME.fullmatch(parameter.name):
            bad(f"{where}.name", f"{parameter.name!r} is not a parameter name")
        if names.count(parameter.name) > 1:
            bad(f"{where}.name", f"parameter {parameter.name!r} declared twice")
        if parameter.minimum is not None:
            lo, hi = parameter.minimum, parameter.maximum
            if hi is None or not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                bad(f"{where}.range", f"range {lo}..{hi} is not a finite min <= max")
        if parameter.allowed is not None and len(parameter.allowed) > MAX_ALLOWED_VALUES:
            bad(f"{where}.allowed", f"more than {MAX_ALLOWED_VALUES} values")
        elif parameter.allowed is not None and any(len(v) > MAX_TEXT for v in parameter.allowed):
            bad(f"{where}.allowed", f"a value is longer than {MAX_TEXT} characters")
        if len(parameter.unit) > MAX_UNIT:
            bad(f"{where}.unit", f"longer than {MAX_UNIT} characters")
    time_model = capability.time_model
    if len(time_model.changeovers) > MAX_PARAMETERS:
        bad(f"{field}.time_model.changeovers", f"more than {MAX_PARAMETERS} changeovers")
        return
    _check_amount(f"{field}.time_model.setup_seconds", time_model.setup_seconds, MAX_SECONDS, bad)
    _check_amount(
        f"{field}.time_model.seconds_per_unit", time_model.seconds_per_unit, MAX_SECONDS, bad
    )
    if time_model.batch_capacity < 1 or time_model.batch_capacity > 1_000_000:
        bad(f"{field}.time_model.batch_capacity", "must be between 1 and 1000000")
    for k, (on, seconds) in enumerate(time_model.changeovers):
        _check_amount(f"{field}.time_model.changeovers[{k}].seconds", seconds, MAX_SECONDS, bad)
        if on not in names:
            bad(
                f"{field}.time_model.changeovers[{k}].parameter",
                f"changeover on {on!r}, which the capability does not declare",
            )


def _check_amount(field: str, value: float, maximum: float, bad: _Report) -> None:
    if not math.isfinite(value):
        bad(field, f"must be a finite number, got {value}")
    elif value < 0:
        bad(field, f"must not be negative, got {value:g}")
    elif value > maximum:
        bad(field, f"{value:g} is above the limit of {maximum:g}")
