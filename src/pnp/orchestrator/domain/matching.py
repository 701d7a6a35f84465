"""Capability matching: which modules can do a recipe step, and why not when none can.

A module can do a step when it offers the step's capability and the capability's
envelope covers every parameter the step gives (and the step gives every parameter the
envelope marks required). When no module can, ``explain_unmatched`` names the step, the
capability or parameter nobody covers, the closest module and what it lacks; a parameter
no module of the capability knows, spelled like one they do, is taken for a typo in the
recipe ("did you mean thickness_mm?"), not for hardware to buy.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pnp.orchestrator.domain.modules import CapabilityOffer, ModuleDescription, ParameterEnvelope

ParameterValue = str | int | float | bool


class StepLike(Protocol):
    # Read-only, so frozen dataclasses (a recipe step, an operation spec) qualify.
    @property
    def id(self) -> str: ...
    @property
    def capability(self) -> str: ...
    @property
    def parameters(self) -> Mapping[str, ParameterValue]: ...


@dataclass(frozen=True)
class ParameterGap:
    """One parameter of a step that a capability's envelope does not cover."""

    parameter: str
    reason: str
    # How far outside the envelope the value lies, relative to the range width (0 for
    # texts): lets us call one module "closer" than another.
    distance: float = 1.0


@dataclass(frozen=True)
class Unmatched:
    step_id: str
    capability: str
    parameter: str
    closest_module_id: str
    reason: str


def parameter_gaps(
    parameters: Mapping[str, ParameterValue], offer: CapabilityOffer
) -> list[ParameterGap]:
    """What the envelope of ``offer`` fails to cover in ``parameters``; empty when covered."""
    gaps = [
        ParameterGap(p.name, f"needs parameter {p.name!r}, which the step does not give")
        for p in offer.parameters
        if p.required and p.name not in parameters
    ]
    for name, value in parameters.items():
        envelope = offer.parameter(name)
        if envelope is None:
            gaps.append(ParameterGap(name, f"has no parameter {name!r}{_guess(name, offer)}"))
            continue
        gap = _value_gap(envelope, value)
        if gap is not None:
            gaps.append(gap)
    return gaps


def _value_gap(envelope: ParameterEnvelope, value: ParameterValue) -> ParameterGap | None:
    name = envelope.name
    if envelope.allowed is not None:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text in envelope.allowed:
            return None
        return ParameterGap(name, f"offers {envelope.describe()}, the step needs {name}={text}")
    if envelope.minimum is not None and envelope.maximum is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ParameterGap(name, f"expects a number for {name}, the step gives {value!r}")
        lo, hi = envelope.minimum, envelope.maximum
        if lo <= value <= hi:
            return None
        width = max(hi - lo, 1e-9)
        distance = (lo - value if value < lo else value - hi) / width
        unit = f" {envelope.unit}" if envelope.unit else ""
        return ParameterGap(
            name,
            f"covers {name} {lo:g}..{hi:g}{unit}, the step needs {value:g}{unit}",
            distance=distance if math.isfinite(distance) else math.inf,
        )
    return None


def capability_matches(step: StepLike, module: ModuleDescription) -> bool:
    offer = module.capability(step.capability)
    return offer is not None and not parameter_gaps(step.parameters, offer)


def capable_modules(
    step: StepLike, modules: Iterable[ModuleDescription]
) -> list[ModuleDescription]:
    return [m for m in modules if capability_matches(step, m)]


def explain_unmatched(step: StepLike, modules: Iterable[ModuleDescription]) -> Unmatched:
    """Why no module in ``modules`` can do ``step`` (call only when none can)."""
    offers = [(m, m.capability(step.capability)) for m in modules]
    offering = [(m, offer) for m, offer in offers if offer is not None]
    if not offering:
        return Unmatched(
            step_id=step.id,
            capability=step.capability,
            parameter="",
            closest_module_id="",
            reason=(
                f"no registered module offers {step.capability}; plug in a module with "
                f"{step.capability}{_wanted(step.parameters)}"
            ),
        )

    misspelt = _misspelt_parameter(step, [offer for _, offer in offering])
    if misspelt is not None:
        name, meant = misspelt
        return Unmatched(
            step_id=step.id,
            capability=step.capability,
            parameter=name,
            closest_module_id="",
            reason=(
                f"no module offering {step.capability} has a parameter {name!r}; did you "
                f"mean {meant!r}? Correct the recipe's step {step.id!r}"
            ),
        )

    def closeness(candidate: tuple[ModuleDescription, CapabilityOffer]) -> tuple[int, float, str]:
        module, offer = candidate
        gaps = parameter_gaps(step.parameters, offer)
        return (len(gaps), sum(g.distance for g in gaps), module.module_id)

    module, offer = min(offering, key=closeness)
    gaps = parameter_gaps(step.parameters, offer)
    first = gaps[0]
    lacks = "; ".join(g.reason for g in gaps)
    return Unmatched(
        step_id=step.id,
        capability=step.capability,
        parameter=first.parameter,
        closest_module_id=module.module_id,
        reason=(
            f"closest module {module.module_id} {lacks}; plug in a module with "
            f"{step.capability}{_wanted(step.parameters)}"
        ),
    )


def _known_names(offers: Iterable[CapabilityOffer]) -> list[str]:
    return sorted({p.name for offer in offers for p in offer.parameters})


def _guess(name: str, offer: CapabilityOffer) -> str:
    close = difflib.get_close_matches(name, _known_names([offer]), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _misspelt_parameter(step: StepLike, offers: list[CapabilityOffer]) -> tuple[str, str] | None:
    """A step parameter no offer knows that is spelled like one they do: (given, meant)."""
    known = _known_names(offers)
    for name in sorted(step.parameters):
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            return name, close[0]
    return None


def unmatched_steps(
    steps: Iterable[StepLike], modules: Iterable[ModuleDescription]
) -> list[Unmatched]:
    modules = list(modules)
    return [explain_unmatched(s, modules) for s in steps if not capable_modules(s, modules)]


def _wanted(parameters: Mapping[str, ParameterValue]) -> str:
    if not parameters:
        return ""
    shown = ", ".join(f"{k}={v}" for k, v in sorted(parameters.items()))
    return f" covering {shown}"
