"""A module's self-description, as a vendor writes it, and its wire form (pnp.v1).

Vendors declare capabilities with these models (in Python or YAML); ``to_proto`` converts
once, at the edge, to the ``pnp.v1.ModuleDescriptor`` the orchestrator validates again.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pnp.v1 import module_pb2

FootprintName = Literal["ISO_10FT", "ISO_20FT", "ISO_40FT"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterEnvelope(_Strict):
    """What values of one parameter a capability accepts: a numeric range or a set."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    min: float | None = None
    max: float | None = None
    unit: str = Field(default="", max_length=32)
    allowed: tuple[str, ...] | None = None
    required: bool = False

    @model_validator(mode="after")
    def _one_kind_of_constraint(self) -> ParameterEnvelope:
        numeric = self.min is not None or self.max is not None
        if numeric and self.allowed is not None:
            raise ValueError(f"parameter {self.name!r}: give either min/max or allowed, not both")
        if numeric and (self.min is None or self.max is None):
            raise ValueError(f"parameter {self.name!r}: a range needs both min and max")
        if numeric and not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError(f"parameter {self.name!r}: min and max must be finite")
        if numeric and self.min > self.max:
            raise ValueError(f"parameter {self.name!r}: min {self.min} is above max {self.max}")
        return self


class Changeover(_Strict):
    parameter: str
    seconds: float = Field(ge=0, allow_inf_nan=False)


class TimeModel(_Strict):
    """Duration of a job: setup_s + ceil(units / batch_capacity) * per_unit_s."""

    setup_s: float = Field(default=0, ge=0, allow_inf_nan=False)
    per_unit_s: float = Field(ge=0, allow_inf_nan=False)
    batch_capacity: int = Field(default=1, ge=1)
    changeovers: tuple[Changeover, ...] = ()

    def seconds_for(self, units: int) -> float:
        return self.setup_s + math.ceil(units / self.batch_capacity) * self.per_unit_s


class CapabilitySpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
    parameters: tuple[ParameterEnvelope, ...] = ()
    time: TimeModel

    def envelope_gaps(self, parameters: dict) -> list[str]:
        """What in ``parameters`` this capability's envelope does not accept; empty if all."""
        declared = {p.name: p for p in self.parameters}
        gaps = [
            f"parameter {p.name!r} is required"
            for p in self.parameters
            if p.required and p.name not in parameters
        ]
        for name, value in parameters.items():
            envelope = declared.get(name)
            if envelope is None:
                gaps.append(f"unknown parameter {name!r}")
            elif envelope.allowed is not None and str(value) not in envelope.allowed:
                gaps.append(f"{name}={value!r} is not one of {', '.join(envelope.allowed)}")
            elif envelope.min is not None and not (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and envelope.min <= value <= envelope.max
            ):
                gaps.append(f"{name}={value!r} is outside {envelope.min:g}..{envelope.max:g}")
        return gaps

    @field_validator("parameters")
    @classmethod
    def _unique_parameter_names(cls, value: tuple[ParameterEnvelope, ...]):
        names = [p.name for p in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"parameter declared twice: {', '.join(duplicates)}")
        return value


class UtilityNeeds(_Strict):
    power_kw: float = Field(default=0, ge=0, allow_inf_nan=False)
    air_nl_per_min: float = Field(default=0, ge=0, allow_inf_nan=False)
    water_l_per_min: float = Field(default=0, ge=0, allow_inf_nan=False)


class ModuleType(_Strict):
    """A module product: what every unit of this model can do."""

    vendor: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=100)
    footprint: FootprintName = "ISO_20FT"
    utilities: UtilityNeeds = UtilityNeeds()
    capabilities: tuple[CapabilitySpec, ...] = Field(min_length=1)

    def capability(self, name: str) -> CapabilitySpec | None:
        return next((c for c in self.capabilities if c.name == name), None)


def to_proto(
    module_type: ModuleType,
    *,
    module_id: str,
    dock: str,
    serial: str,
    kind: str = "",
    opcua_endpoint: str = "",
) -> module_pb2.ModuleDescriptor:
    """The wire form of one plugged-in unit of ``module_type``."""
    return module_pb2.ModuleDescriptor(
        module_id=module_id,
        vendor=module_type.vendor,
        model=module_type.model,
        serial=serial,
        footprint=module_pb2.Footprint.Value(f"FOOTPRINT_{module_type.footprint}"),
        dock=dock,
        opcua_endpoint=opcua_endpoint,
        kind=kind,
        utilities=module_pb2.UtilityNeeds(**module_type.utilities.model_dump()),
        capabilities=[_capability_to_proto(c) for c in module_type.capabilities],
    )


def _capability_to_proto(capability: CapabilitySpec) -> module_pb2.Capability:
    return module_pb2.Capability(
        name=capability.name,
        parameters=[_parameter_to_proto(p) for p in capability.parameters],
        time_model=module_pb2.TimeModel(
            setup_seconds=capability.time.setup_s,
            seconds_per_unit=capability.time.per_unit_s,
            batch_capacity=capability.time.batch_capacity,
            changeovers=[
                module_pb2.Changeover(parameter=c.parameter, seconds=c.seconds)
                for c in capability.time.changeovers
            ],
        ),
    )


def _parameter_to_proto(parameter: ParameterEnvelope) -> module_pb2.ParameterSpec:
    spec = module_pb2.ParameterSpec(name=parameter.name, required=parameter.required)
    if parameter.allowed is not None:
        spec.allowed.values.extend(parameter.allowed)
    elif parameter.min is not None:
        spec.range.CopyFrom(
            module_pb2.NumericRange(min=parameter.min, max=parameter.max, unit=parameter.unit)
        )
    return spec
