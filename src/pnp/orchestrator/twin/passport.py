"""A module's passport: who it is, what it offers, and its life so far, site by site.

A factory issues one when a module leaves (``pnp module passport export``), signed with
its key (``twin.signing``). The next factory verifies it against its trusted issuers and
keeps it; when a module with the same vendor and serial registers there, its shell shows
the earlier sites. Epochs are the receiving factory's own and start fresh; the history
only accumulates: a passport issued later carries the earlier sites plus this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.twin.metering import Usage, UsageState

MAX_SITES = 100
MAX_ENTRIES = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Identity(_Strict):
    module_id: str = Field(max_length=64)
    vendor: str = Field(max_length=200)
    model: str = Field(max_length=200)
    serial: str = Field(max_length=200)
    kind: str = Field(default="", max_length=200)
    footprint: str = Field(default="", max_length=200)

    def same_unit(self, description: ModuleDescription) -> bool:
        """The registered module is this physical unit (vendor and serial match)."""
        return (self.vendor, self.serial) == (description.vendor, description.serial)


class CapabilityEntry(_Strict):
    name: str = Field(max_length=200)
    envelope: list[str] = Field(default_factory=list, max_length=64)


class Incident(_Strict):
    """A failed attempt: what maintenance wants to know about a unit."""

    at: datetime
    order_id: str = Field(max_length=64)
    operation_id: str = Field(max_length=200)
    error: str = Field(max_length=2000)


class MaintenanceEntry(_Strict):
    start: datetime
    end: datetime
    reason: str = Field(max_length=2000)


class SiteRecord(_Strict):
    """The module's life at one factory."""

    factory: str = Field(max_length=500)  # the issuer that recorded it
    first_seen: datetime
    last_seen: datetime
    epochs: int = Field(ge=0)
    hours_by_state: dict[Literal["executing", "idle", "held", "out_of_service"], float]
    units: int = Field(ge=0)
    energy_kwh: float = Field(ge=0)
    cycles: int = Field(ge=0)
    failures: int = Field(ge=0)
    incidents: list[Incident] = Field(default_factory=list, max_length=MAX_ENTRIES)
    maintenance: list[MaintenanceEntry] = Field(default_factory=list, max_length=MAX_ENTRIES)

    def usage(self) -> Usage:
        return Usage(
            {s: self.hours_by_state.get(s.value, 0.0) * 3600.0 for s in UsageState},
            units=self.units,
            energy_kwh=self.energy_kwh,
            cycles=self.cycles,
            failures=self.failures,
        )


class Passport(_Strict):
    format: Literal["pnp.passport/v1"] = "pnp.passport/v1"
    identity: Identity
    capabilities: list[CapabilityEntry] = Field(max_length=64)
    issued_at: datetime
    issuer: str = Field(max_length=500)
    history: list[SiteRecord] = Field(max_length=MAX_SITES)  # oldest first; last: the issuer


def site_record(
    factory: str,
    first_seen: datetime,
    last_seen: datetime,
    epochs: int,
    usage: Usage,
    incidents: Sequence[Incident] = (),
    maintenance: Sequence[MaintenanceEntry] = (),
) -> SiteRecord:
    return SiteRecord(
        factory=factory,
        first_seen=first_seen,
        last_seen=last_seen,
        epochs=epochs,
        hours_by_state={s.value: usage.hours(s) for s in UsageState},
        units=usage.units,
        energy_kwh=usage.energy_kwh,
        cycles=usage.cycles,
        failures=usage.failures,
        incidents=list(incidents)[-MAX_ENTRIES:],
        maintenance=list(maintenance)[-MAX_ENTRIES:],
    )


def passport_of(
    description: ModuleDescription,
    issuer: str,
    issued_at: datetime,
    earlier: Sequence[SiteRecord],
    here: SiteRecord,
) -> Passport:
    return Passport(
        identity=Identity(
            module_id=description.module_id,
            vendor=description.vendor,
            model=description.model,
            serial=description.serial,
            kind=description.kind,
            footprint=description.footprint,
        ),
        capabilities=[
            CapabilityEntry(name=c.name, envelope=[p.describe() for p in c.parameters])
            for c in description.capabilities
        ],
        issued_at=issued_at,
        issuer=issuer,
        history=[*earlier, here][-MAX_SITES:],
    )
