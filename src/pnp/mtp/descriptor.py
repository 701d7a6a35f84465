"""From an MTP manifest to a pnp module descriptor, and how it stays bound to the PEA.

``describe`` turns a ``PeaManifest`` into an ``MtpDescriptor``: a pnp ``ModuleType`` (the
catalog's format: one capability per MTP service, with a parameter envelope) next to the
binding the adapter needs at run time (which OPC UA variables command each service,
select its procedures, take its parameters and report its results). The descriptor is a
YAML file a person can read and edit (``pnp module import-mtp``), e.g. to state how long
a service takes: MTP says nothing about durations, and pnp's planner needs them.

The mapping:

- a service becomes capability ``mtp.<service>`` (``Ferment`` -> ``mtp.ferment``), or the
  name given for it (``Ferment=bio.fermentation``);
- its procedures' and its configuration parameters become the capability's parameters,
  named in snake case (``FeedRate`` -> ``feed_rate``) or as given
  (``Ferment.Temperature=temperature_c``): ``AnaServParam``/``DIntServParam`` with their
  ``VMin..VMax`` range and ``VUnit`` unit, ``BinServParam`` as ``true``/``false``,
  ``StringServParam`` unconstrained. None is required: a parameter not given keeps the
  value the PEA holds;
- a service with several procedures gets a parameter ``procedure`` (the procedures'
  names in snake case; the ``IsDefault`` one when not given);
- report values become the execution's results.

Pure: no I/O but reading and writing YAML text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pnp.mtp.codes import unit_text
from pnp.mtp.manifest import NUMERIC_PARAMETERS, NodeRef, Parameter, PeaManifest, Service
from pnp.sdk.descriptors import (
    CapabilitySpec,
    FootprintName,
    ModuleType,
    ParameterEnvelope,
    TimeModel,
    UtilityNeeds,
)

PROCEDURE_PARAMETER = "procedure"
CAPABILITY_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
PARAMETER_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class DescriptorError(ValueError):
    """The manifest cannot be described as asked (a bad name, an unknown service), or a
    descriptor file is invalid; ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeAddress(_Strict):
    """An OPC UA variable of the PEA: namespace URI (or index, as digits) and identifier."""

    namespace: str = Field(min_length=1)
    identifier: str = Field(min_length=1)
    numeric: bool = False

    @classmethod
    def of(cls, ref: NodeRef) -> NodeAddress:
        return cls(namespace=ref.namespace, identifier=ref.identifier, numeric=ref.numeric)


ParameterKind = Literal["AnaServParam", "DIntServParam", "BinServParam", "StringServParam"]


class ParameterBinding(_Strict):
    name: str  # the capability parameter's name
    tag: str  # the MTP parameter's name
    kind: ParameterKind
    nodes: dict[str, NodeAddress]  # VExt, VOp, VReq, ... of its data assembly


class ReportBinding(_Strict):
    name: str  # the result's key
    tag: str
    node: NodeAddress


class ProcedureBinding(_Strict):
    name: str  # the value of the ``procedure`` parameter
    tag: str  # the MTP procedure's name
    procedure_id: int = Field(ge=1)
    default: bool = False
    self_completing: bool = True
    parameters: tuple[ParameterBinding, ...] = ()
    reports: tuple[ReportBinding, ...] = ()


class ServiceBinding(_Strict):
    capability: str
    service: str  # the MTP service's name
    control: dict[str, NodeAddress]  # CommandExt, StateCur, ProcedureReq, ...
    procedures: tuple[ProcedureBinding, ...] = Field(min_length=1)
    configuration: tuple[ParameterBinding, ...] = ()

    def procedure(self, name: str | None) -> ProcedureBinding:
        if name is None:
            return next((p for p in self.procedures if p.default), self.procedures[0])
        found = next((p for p in self.procedures if p.name == name), None)
        if found is None:
            known = ", ".join(p.name for p in self.procedures)
            raise DescriptorError(PROCEDURE_PARAMETER, f"no procedure {name!r} ({known})")
        return found


class MtpMetadata(_Strict):
    name: str
    manifest: str = ""
    manifest_version: str = ""


class MtpSpec(_Strict):
    endpoint: str = Field(pattern=r"^opc\.tcp://")
    module: ModuleType
    services: tuple[ServiceBinding, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_capability_is_bound_once(self) -> MtpSpec:
        bound = [s.capability for s in self.services]
        declared = [c.name for c in self.module.capabilities]
        if sorted(bound) != sorted(declared):
            raise ValueError(
                f"spec.services bind {sorted(bound)} but spec.module declares {sorted(declared)}"
            )
        return self

    def binding(self, capability: str) -> ServiceBinding:
        return next(s for s in self.services if s.capability == capability)


class MtpDescriptor(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    api_version: Literal["pnp/v1"] = Field(default="pnp/v1", alias="apiVersion")
    kind: Literal["MtpModule"] = "MtpModule"
    metadata: MtpMetadata
    spec: MtpSpec


class Naming(_Strict):
    """What the manifest cannot say: pnp names, durations, the container around the PEA."""

    names: dict[str, str] = {}  # "Service" -> capability, "Service.Tag" -> parameter name
    seconds: dict[str, float] = {}  # "Service" -> seconds per unit (the planner's estimate)
    setup_seconds: dict[str, float] = {}
    vendor: str = ""
    model: str = ""
    footprint: FootprintName = "ISO_20FT"
    utilities: UtilityNeeds = UtilityNeeds()


def snake_case(name: str) -> str:
    """``FeedRate`` -> ``feed_rate``, ``TIC101 SP`` -> ``tic101_sp``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    text = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    if not text:
        return "p"
    return text if text[0].isalpha() else f"p_{text}"


def describe(
    manifest: PeaManifest, naming: Naming | None = None
) -> tuple[MtpDescriptor, list[str]]:
    """The descriptor of ``manifest``'s PEA, and warnings a person should read."""
    naming = naming or Naming()
    _check_names_refer_to_the_manifest(manifest, naming)
    warnings: list[str] = []
    capabilities, bindings = [], []
    for service in manifest.services:
        capability, binding = _describe_service(service, naming, warnings)
        capabilities.append(capability)
        bindings.append(binding)
    names = [c.name for c in capabilities]
    clashing = sorted({n for n in names if names.count(n) > 1})
    if clashing:
        raise DescriptorError("names", f"two services map to capability {clashing[0]!r}")
    try:
        module = ModuleType(
            vendor=naming.vendor or manifest.vendor or "unknown vendor",
            model=naming.model or manifest.name,
            footprint=naming.footprint,
            utilities=naming.utilities,
            capabilities=tuple(capabilities),
        )
    except ValidationError as error:
        raise DescriptorError("module", _first_problem(error)) from None
    descriptor = MtpDescriptor(
        metadata=MtpMetadata(
            name=manifest.name, manifest=manifest.source, manifest_version=manifest.version
        ),
        spec=MtpSpec(endpoint=manifest.endpoint, module=module, services=tuple(bindings)),
    )
    return descriptor, warnings + [f"manifest: {note}" for note in manifest.notes]


def _check_names_refer_to_the_manifest(manifest: PeaManifest, naming: Naming) -> None:
    services = {s.name: s for s in manifest.services}
    known = ", ".join(services)
    for key in [*naming.names, *naming.seconds, *naming.setup_seconds]:
        service_name, _, tag = key.partition(".")
        service = services.get(service_name)
        if service is None:
            raise DescriptorError(key, f"no service {service_name!r} in the manifest ({known})")
        if tag and tag not in _parameter_tags(service):
            tags = ", ".join(sorted(_parameter_tags(service))) or "none"
            raise DescriptorError(key, f"service {service_name} has no parameter {tag!r} ({tags})")


def _parameter_tags(service: Service) -> set[str]:
    tags = {p.tag for p in service.configuration}
    for procedure in service.procedures:
        tags |= {p.tag for p in procedure.parameters + procedure.reports}
    return tags


def _describe_service(
    service: Service, naming: Naming, warnings: list[str]
) -> tuple[CapabilitySpec, ServiceBinding]:
    capability = (
        naming.names.get(service.name) or f"mtp.{snake_case(service.name).replace('_', '-')}"
    )
    if not CAPABILITY_PATTERN.match(capability):
        raise DescriptorError(
            service.name,
            f"capability name {capability!r} is not dotted lower case (like bio.fermentation)",
        )

    def name_of(tag: str) -> str:
        name = naming.names.get(f"{service.name}.{tag}") or snake_case(tag)
        if not PARAMETER_PATTERN.match(name) or len(name) > 64:
            raise DescriptorError(
                f"{service.name}.{tag}", f"parameter name {name!r} is not lower snake case"
            )
        return name

    envelopes: dict[str, tuple[ParameterEnvelope, str]] = {}

    def bind(parameter: Parameter) -> ParameterBinding:
        name = name_of(parameter.tag)
        envelope = _envelope(name, parameter)
        seen = envelopes.setdefault(name, (envelope, parameter.tag))
        if seen[0] != envelope:
            raise DescriptorError(
                f"{service.name}.{parameter.tag}",
                f"parameter {name!r} is declared twice with different ranges or types "
                f"({seen[1]} and {parameter.tag})",
            )
        return ParameterBinding(
            name=name,
            tag=parameter.tag,
            kind=parameter.class_name,  # the reader let only these four through
            nodes={k: NodeAddress.of(v) for k, v in parameter.nodes.items()},
        )

    configuration = tuple(bind(p) for p in service.configuration)
    procedures = []
    for procedure in service.procedures:
        procedures.append(
            ProcedureBinding(
                name=snake_case(procedure.name),
                tag=procedure.name,
                procedure_id=procedure.procedure_id,
                default=procedure is service.default_procedure,
                self_completing=procedure.self_completing,
                parameters=tuple(bind(p) for p in procedure.parameters),
                reports=tuple(
                    ReportBinding(
                        name=name_of(r.tag),
                        tag=r.tag,
                        node=NodeAddress.of(r.nodes["V"] if "V" in r.nodes else r.nodes["VOut"]),
                    )
                    for r in procedure.reports
                ),
            )
        )
        if not procedure.self_completing:
            warnings.append(
                f"{service.name}/{procedure.name} does not complete by itself: the adapter "
                "sends Complete once the planned duration has passed"
            )
    parameters = [envelope for envelope, _ in envelopes.values()]
    if len(procedures) > 1:
        if PROCEDURE_PARAMETER in envelopes:
            raise DescriptorError(
                service.name, f"a parameter is named {PROCEDURE_PARAMETER!r}, which pnp reserves"
            )
        parameters.insert(
            0,
            ParameterEnvelope(name=PROCEDURE_PARAMETER, allowed=tuple(p.name for p in procedures)),
        )
    seconds = naming.seconds.get(service.name)
    if seconds is None:
        warnings.append(
            f"no duration for service {service.name}: planned as 0 s "
            f"(give --seconds {service.name}=N)"
        )
    try:
        spec = CapabilitySpec(
            name=capability,
            parameters=tuple(parameters),
            time=TimeModel(
                setup_s=naming.setup_seconds.get(service.name, 0.0), per_unit_s=seconds or 0.0
            ),
        )
    except ValidationError as error:
        raise DescriptorError(service.name, _first_problem(error)) from None
    control = {k: NodeAddress.of(v) for k, v in service.control.items()}
    return spec, ServiceBinding(
        capability=capability,
        service=service.name,
        control=control,
        procedures=tuple(procedures),
        configuration=configuration,
    )


def _envelope(name: str, parameter: Parameter) -> ParameterEnvelope:
    if parameter.class_name in NUMERIC_PARAMETERS:
        return ParameterEnvelope(
            name=name,
            min=parameter.minimum,
            max=parameter.maximum,
            unit=unit_text(parameter.unit_code),
        )
    if parameter.class_name == "BinServParam":
        return ParameterEnvelope(name=name, allowed=("false", "true"))
    return ParameterEnvelope(name=name)


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])


# -- the file ---------------------------------------------------------------------------


def to_yaml(descriptor: MtpDescriptor, warnings: Sequence[str] = ()) -> str:
    header = (
        "# A pnp module descriptor made from an MTP manifest (pnp module import-mtp).\n"
        "# spec.module is what the PEA registers as (the catalog's format); spec.services\n"
        "# binds each capability to the PEA's OPC UA variables. Check the durations\n"
        "# (spec.module.capabilities[].time): MTP does not state them, the planner needs them.\n"
    )
    notes = "".join(f"# warning: {w}\n" for w in warnings)
    body = yaml.safe_dump(
        descriptor.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True
    )
    return header + notes + body


def from_yaml(text: str) -> MtpDescriptor:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise DescriptorError(where, f"not YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict) or data.get("kind") != "MtpModule":
        raise DescriptorError("kind", "not an MtpModule descriptor (made by pnp module import-mtp)")
    try:
        return MtpDescriptor.model_validate(data)
    except ValidationError as error:
        raise DescriptorError("", _first_problem(error)) from None
