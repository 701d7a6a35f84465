"""A module's Asset Administration Shell (AAS v3, IEC 63278), built with basyx-python-sdk.

One shell per module, with four submodels:

- ``Nameplate``: vendor, model, serial (the fields of the IDTA Digital Nameplate that a
  descriptor carries);
- ``TechnicalData``: footprint, dock, utility needs;
- ``Capabilities``: per capability (in the spirit of IDTA 02020 Capability Description)
  the capability itself, its property constraints from the envelope (ranges with their
  unit, allowed values), its time model, and a ``RealizedBy`` relationship to the skill
  that realises it on the module (its OPC UA object);
- ``OperationalData``: hours by state, cycles, units, energy, failures over the module's
  life at this factory, its health, and the sites it worked at before (from passports).

The shell's id is ``urn:pnp:aas:<module id>``; the asset's global id names the physical
unit (vendor, model, serial), so the same asset keeps its id across factories.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from basyx.aas import model
from basyx.aas.adapter import aasx
from basyx.aas.adapter.json import json_serialization

from pnp.orchestrator.domain.modules import CapabilityOffer, ModuleDescription, ParameterEnvelope
from pnp.orchestrator.twin.metering import Usage, UsageState
from pnp.orchestrator.twin.passport import SiteRecord

NAMEPLATE_SEMANTICS = "https://admin-shell.io/zvei/nameplate/2/0/Nameplate"
TECHNICAL_DATA_SEMANTICS = "https://admin-shell.io/ZVEI/TechnicalData/Submodel/1/2"
CAPABILITIES_SEMANTICS = "https://admin-shell.io/idta/CapabilityDescription/1/0/Submodel"
OPERATIONAL_SEMANTICS = "urn:pnp:aas:semantics:OperationalData:1"
SKILL_NODE = "Module/Skills/{capability}"  # the skill's path in the module's OPC UA model


@dataclass(frozen=True)
class ModuleTwin:
    """What one shell is made of: the module, its use here, and its life before."""

    description: ModuleDescription
    usage: Usage
    epoch: int
    standing: str  # the registry's word for it: live, suspect, lost, draining, ...
    history: Sequence[SiteRecord] = ()
    health: float | None = None  # 1 healthy .. 0 failing; None: not enough telemetry


@dataclass(frozen=True)
class Shell:
    shell: model.AssetAdministrationShell
    submodels: tuple[model.Submodel, ...]

    def objects(self) -> model.DictIdentifiableStore:
        store: model.DictIdentifiableStore = model.DictIdentifiableStore()
        store.add(self.shell)
        for submodel in self.submodels:
            store.add(submodel)
        return store


def shell_id(module_id: str) -> str:
    return f"urn:pnp:aas:{module_id}"


def asset_id(description: ModuleDescription) -> str:
    parts = (description.vendor, description.model, description.serial)
    return "urn:pnp:asset:" + ":".join(quote(p, safe="") for p in parts)


def build_shell(twin: ModuleTwin) -> Shell:
    module = twin.description
    base = shell_id(module.module_id)
    submodels = (
        _nameplate(f"{base}:Nameplate", module),
        _technical_data(f"{base}:TechnicalData", module),
        _capabilities(f"{base}:Capabilities", module),
        _operational_data(f"{base}:OperationalData", twin),
    )
    shell = model.AssetAdministrationShell(
        id_=base,
        id_short=id_short(module.module_id),
        asset_information=model.AssetInformation(
            asset_kind=model.AssetKind.INSTANCE, global_asset_id=asset_id(module)
        ),
        submodel={model.ModelReference.from_referable(s) for s in submodels},
    )
    return Shell(shell, submodels)


def environment_json(shells: Iterable[Shell]) -> str:
    """The shells and their submodels as one AAS JSON environment (Part 1, 5.5)."""
    store: model.DictIdentifiableStore = model.DictIdentifiableStore()
    for shell in shells:
        for item in shell.objects():
            store.add(item)
    return json_serialization.object_store_to_json(store, indent=2)


def to_json(item: model.Referable) -> Any:
    """One shell, submodel or element in the AAS JSON serialization, as plain data."""
    return json.loads(json.dumps(item, cls=json_serialization.AASToJsonEncoder))


def aasx_bytes(shell: Shell) -> bytes:
    """An AASX package (Part 5) holding the shell and its submodels."""
    buffer = io.BytesIO()
    with aasx.AASXWriter(buffer, failsafe=False) as writer:
        writer.write_aas(shell.shell.id, shell.objects(), aasx.DictSupplementaryFileContainer())
    return buffer.getvalue()


def id_short(text: str) -> str:
    """An idShort for a name of ours: letters, digits, '_' and '-' (not last), starting
    with a letter. Capability names lose their dots (``cutting.laser``: ``cutting_laser``),
    which cannot collide: our names never hold an underscore there."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", text)
    if not cleaned[:1].isalpha():
        cleaned = "x" + cleaned
    return cleaned[:-1] + "_" if cleaned.endswith("-") else cleaned


def _global(value: str) -> model.ExternalReference:
    return model.ExternalReference((model.Key(model.KeyTypes.GLOBAL_REFERENCE, value),))


def _text(name: str, value: str) -> model.Property:
    return model.Property(name, model.datatypes.String, value=value)


def _number(name: str, value: float, unit: str = "") -> model.Property:
    qualifiers = [model.Qualifier("Unit", model.datatypes.String, value=unit)] if unit else []
    return model.Property(name, model.datatypes.Double, value=float(value), qualifier=qualifiers)


def _count(name: str, value: int) -> model.Property:
    return model.Property(name, model.datatypes.Long, value=model.datatypes.Long(value))


def _nameplate(id_: str, module: ModuleDescription) -> model.Submodel:
    return model.Submodel(
        id_,
        id_short="Nameplate",
        semantic_id=_global(NAMEPLATE_SEMANTICS),
        submodel_element=[
            _text("ManufacturerName", module.vendor),
            _text("ManufacturerProductDesignation", module.model),
            _text("SerialNumber", module.serial),
            _text("ModuleId", module.module_id),
            _text("Kind", module.kind),
        ],
    )


def _technical_data(id_: str, module: ModuleDescription) -> model.Submodel:
    needs = module.utilities
    return model.Submodel(
        id_,
        id_short="TechnicalData",
        semantic_id=_global(TECHNICAL_DATA_SEMANTICS),
        submodel_element=[
            _text("Footprint", module.footprint),
            _text("Dock", module.dock),
            _text("OpcUaEndpoint", module.opcua_endpoint),
            model.SubmodelElementCollection(
                "Utilities",
                value=[
                    _number("PowerKw", needs.power_kw, "kW"),
                    _number("AirNlPerMin", needs.air_nl_per_min, "Nl/min"),
                    _number("WaterLPerMin", needs.water_l_per_min, "l/min"),
                ],
            ),
        ],
    )


def _capabilities(id_: str, module: ModuleDescription) -> model.Submodel:
    containers = [_capability_container(c) for c in module.capabilities]
    submodel = model.Submodel(
        id_,
        id_short="Capabilities",
        semantic_id=_global(CAPABILITIES_SEMANTICS),
        submodel_element=[model.SubmodelElementCollection("CapabilitySet", value=containers)],
    )
    # The relationship refers to the capability element by its path in the submodel,
    # which exists only once the containers are in place.
    for container, offer in zip(containers, module.capabilities, strict=True):
        capability = container.get_referable("Capability")
        container.add_referable(
            model.RelationshipElement(
                "RealizedBy",
                first=model.ModelReference.from_referable(capability),
                second=_global(
                    f"{module.opcua_endpoint}#{SKILL_NODE.format(capability=offer.name)}"
                ),
            )
        )
    return submodel


def _capability_container(offer: CapabilityOffer) -> model.SubmodelElementCollection:
    time_model = offer.time_model
    return model.SubmodelElementCollection(
        id_short(offer.name),
        value=[
            model.Capability("Capability", semantic_id=_global(f"urn:pnp:capability:{offer.name}")),
            _text("CapabilityName", offer.name),
            model.SubmodelElementCollection(
                "PropertySet", value=[_constraint(p) for p in offer.parameters]
            ),
            model.SubmodelElementCollection(
                "TimeModel",
                value=[
                    _number("SetupSeconds", time_model.setup_seconds, "s"),
                    _number("SecondsPerUnit", time_model.seconds_per_unit, "s"),
                    _count("BatchCapacity", time_model.batch_capacity),
                    model.SubmodelElementCollection(
                        "ChangeoverSeconds",
                        value=[
                            _number(id_short(name), s, "s") for name, s in time_model.changeovers
                        ],
                    ),
                ],
            ),
        ],
    )


def _constraint(parameter: ParameterEnvelope) -> model.SubmodelElement:
    """One envelope as a property constraint: a range, a list of allowed values, or any."""
    qualifiers = [model.Qualifier("Required", model.datatypes.Boolean, value=parameter.required)]
    if parameter.unit:
        qualifiers.append(model.Qualifier("Unit", model.datatypes.String, value=parameter.unit))
    name = id_short(parameter.name)
    if parameter.allowed is not None:
        return model.SubmodelElementList(
            name,
            model.Property,
            value=[
                model.Property(None, model.datatypes.String, value=v) for v in parameter.allowed
            ],
            value_type_list_element=model.datatypes.String,
            order_relevant=False,
            qualifier=qualifiers,
        )
    if parameter.minimum is not None and parameter.maximum is not None:
        return model.Range(
            name,
            model.datatypes.Double,
            min=float(parameter.minimum),
            max=float(parameter.maximum),
            qualifier=qualifiers,
        )
    return model.Property(name, model.datatypes.String, value=None, qualifier=qualifiers)


def _usage_elements(usage: Usage) -> list[model.SubmodelElement]:
    return [
        _number("ExecutingHours", usage.hours(UsageState.EXECUTING), "h"),
        _number("IdleHours", usage.hours(UsageState.IDLE), "h"),
        _number("HeldHours", usage.hours(UsageState.HELD), "h"),
        _number("OutOfServiceHours", usage.hours(UsageState.OUT_OF_SERVICE), "h"),
        _count("Cycles", usage.cycles),
        _count("UnitsProcessed", usage.units),
        _number("EnergyKwh", usage.energy_kwh, "kWh"),
        _count("Failures", usage.failures),
    ]


def _operational_data(id_: str, twin: ModuleTwin) -> model.Submodel:
    elements: list[model.SubmodelElement] = [
        _text("Standing", twin.standing),
        _count("Epoch", twin.epoch),
        *_usage_elements(twin.usage),
    ]
    if twin.health is not None:
        elements.append(_number("HealthScore", twin.health))
    elements.append(
        model.SubmodelElementCollection(
            "PreviousSites",
            value=[_site(f"Site{i:02d}", site) for i, site in enumerate(twin.history, start=1)],
        )
    )
    return model.Submodel(
        id_,
        id_short="OperationalData",
        semantic_id=_global(OPERATIONAL_SEMANTICS),
        submodel_element=elements,
    )


def _site(name: str, site: SiteRecord) -> model.SubmodelElementCollection:
    return model.SubmodelElementCollection(
        name,
        value=[
            _text("Factory", site.factory),
            _text("FirstSeen", site.first_seen.isoformat()),
            _text("LastSeen", site.last_seen.isoformat()),
            _count("Epochs", site.epochs),
            *_usage_elements(site.usage()),
            _count("MaintenanceWindows", len(site.maintenance)),
        ],
    )


def value_only(item: model.Referable) -> Any:
    """The value-only serialization (AAS Part 2, ``$value``) of a submodel or element:
    properties as their values, ranges as ``{min, max}``, collections as objects keyed
    by idShort, lists as arrays, relationships as their two references. Capabilities
    carry no value and are left out."""
    if isinstance(item, model.Submodel | model.SubmodelElementCollection):
        children = item.submodel_element if isinstance(item, model.Submodel) else item.value
        return {
            child.id_short: value_only(child)
            for child in children
            if not isinstance(child, model.Capability)
        }
    if isinstance(item, model.SubmodelElementList):
        return [value_only(child) for child in item.value]
    if isinstance(item, model.Property):
        return _plain(item.value)
    if isinstance(item, model.Range):
        return {"min": _plain(item.min), "max": _plain(item.max)}
    if isinstance(item, model.RelationshipElement):
        return {"first": to_json(item.first), "second": to_json(item.second)}
    return to_json(item)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
