"""The digital twin's shell: reads the factory's records, asks the pure ``twin`` package.

Everything here reads the store off the event loop and converts rows into the twin's
plain records once; shells, usage, passports and signed packages are then pure
functions of them. The factory's key (its orchestrator certificate from the PKI) signs
passports and order data; without TLS there is no key, and signing says so.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from pydantic import ValidationError

from pnp.orchestrator.domain.attempts import AttemptState
from pnp.orchestrator.domain.modules import ModuleDescription, description_from_dict
from pnp.orchestrator.errors import (
    BadInput,
    Conflict,
    NotFound,
    PermissionDenied,
    Unsupported,
    Violation,
)
from pnp.orchestrator.security.identities import identity_from_uris
from pnp.orchestrator.security.tls_files import (
    TRUSTED_ISSUERS_FOLDER,
    TlsFiles,
    certificate_uris,
    trusted_issuer_files,
)
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.module_health import read_module_health
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.twin_records import StoredMaintenance, StoredPassport
from pnp.orchestrator.twin import signing
from pnp.orchestrator.twin.aas import ModuleTwin, Shell, build_shell
from pnp.orchestrator.twin.health import (
    Health,
    HealthSettings,
    Proposal,
    propose,
)
from pnp.orchestrator.twin.metering import (
    Grouping,
    Usage,
    UsageRecords,
    UsageRow,
    meter,
    module_usage,
)
from pnp.orchestrator.twin.order_terms import ORDER_PACKAGE_KIND, UsageTerms, signed_content
from pnp.orchestrator.twin.passport import (
    Incident,
    MaintenanceEntry,
    Passport,
    SiteRecord,
    passport_of,
    site_record,
)
from pnp.orchestrator.twin.records import DrainMark, LeaseSpan, Period, PowerSample

PASSPORT_KIND = "module-passport"


@dataclass(frozen=True)
class FactoryKeys:
    """What this factory signs with and whom it believes: the factory CA, and every
    certificate in ``trusted-issuers/`` beside it, read at each verification (so
    `pnp pki trust` takes effect without a restart)."""

    signer: signing.Signer | None = None
    # Who signs, e.g. "urn:pnp:orchestrator:orchestrator (CN=Factory A CA)".
    identity: str = ""
    ca_file: Path | None = None

    @classmethod
    def from_tls(cls, tls: TlsFiles | None) -> FactoryKeys:
        """The orchestrator's TLS files sign; their CA is the first trusted issuer."""
        if tls is None:
            return cls()
        certificate, key = tls.certificate.read_bytes(), tls.key.read_bytes()
        parsed = x509.load_pem_x509_certificate(certificate)
        identity = identity_from_uris(certificate_uris(parsed))
        # Every factory's orchestrator may be called "orchestrator": its CA tells them apart.
        name = f"{identity.uri if identity else 'unknown'} ({parsed.issuer.rfc4514_string()})"
        return cls(signing.Signer(certificate, key), name, tls.ca)

    def trusted(self) -> list[x509.Certificate]:
        if self.ca_file is None:
            return []
        files = [self.ca_file, *trusted_issuer_files(self.ca_file)]
        return signing.load_trusted([f.read_bytes() for f in files])


@dataclass(frozen=True)
class _History:
    """The store's history as the twin's records (read once per question)."""

    modules: dict[str, tuple[int, ModuleDescription]]
    records: UsageRecords
    passports: list[StoredPassport]


class TwinService:
    def __init__(
        self,
        factory: Factory,
        keys: FactoryKeys | None = None,
        health_settings: HealthSettings | None = None,
    ) -> None:
        self.factory = factory
        self.keys = keys or FactoryKeys()
        self.health_settings = health_settings or HealthSettings()

    # -- shells ------------------------------------------------------------------------

    async def shells(self) -> list[Shell]:
        history = await self._history()
        healths = await asyncio.to_thread(self._read_healths, history.modules)
        return [self._shell(history, health) for health in healths]

    async def shell(self, module_id: str) -> Shell:
        history = await self._history()
        if module_id not in history.modules:
            raise NotFound(f"no module {module_id!r} is known to this factory")
        [health] = await asyncio.to_thread(self._read_healths, history.modules, module_id)
        return self._shell(history, health)

    def _shell(self, history: _History, health: Health) -> Shell:
        module_id = health.module_id
        epoch, description = history.modules[module_id]
        return build_shell(
            ModuleTwin(
                description=description,
                usage=self._lifetime_usage(module_id, history),
                epoch=epoch,
                standing=self._standing(module_id),
                history=self._earlier_sites(description, history),
                health=health.score,
            )
        )

    # -- usage -------------------------------------------------------------------------

    async def usage(self, period: Period, by: Grouping) -> tuple[list[UsageRow], datetime]:
        history = await self._history()
        until = min(period.end, history.records.now)
        return meter(history.records, period, by), until

    # -- passports ---------------------------------------------------------------------

    async def export_passport(self, module_id: str) -> dict[str, Any]:
        signer = self._signer()
        history = await self._history()
        if module_id not in history.modules:
            raise NotFound(f"no module {module_id!r} is known to this factory")
        _, description = history.modules[module_id]
        leases = [s for s in history.records.leases if s.module_id == module_id]
        failed = [
            a
            for a in history.records.attempts
            if a.module_id == module_id and a.state is AttemptState.FAILED and a.ended_at
        ]
        here = site_record(
            factory=self.keys.identity,
            first_seen=min(s.granted_at for s in leases),
            last_seen=max((s.ended_at or history.records.now) for s in leases),
            epochs=len(leases),
            usage=self._lifetime_usage(module_id, history),
            incidents=[
                Incident(
                    at=a.ended_at,  # type: ignore[arg-type]
                    order_id=a.order_id,
                    operation_id=a.operation_id,
                    error=a.error[:2000],
                )
                for a in failed
            ],
            maintenance=[
                MaintenanceEntry(start=w.start, end=w.end, reason=w.reason[:2000])
                for w in self.factory.maintenance.all()
                if w.module_id == module_id
            ],
        )
        passport = passport_of(
            description,
            issuer=self.keys.identity,
            issued_at=history.records.now,
            earlier=self._earlier_sites(description, history),
            here=here,
        )
        return signing.sign(
            PASSPORT_KIND, passport.model_dump(mode="json"), signer, history.records.now
        )

    async def import_passport(
        self, document: Any, request_id: str
    ) -> tuple[Passport, StoredPassport]:
        verified = signing.verify(
            document, PASSPORT_KIND, self.keys.trusted() or self._no_issuers(), self._now()
        )
        passport = _passport(verified.content)
        imported = StoredPassport(
            request_id=request_id,
            module_id=passport.identity.module_id,
            vendor=passport.identity.vendor,
            serial=passport.identity.serial,
            signer=verified.signer,
            issuer=verified.issuer,
            imported_at=self._now(),
            signed_json=json.dumps(document),
        )
        stored = await asyncio.to_thread(self.factory.store.twin.add_passport, imported)
        if stored.imported_at == imported.imported_at:  # not a retry of an earlier import
            # In the event log for the audit trail: it changes what this factory trusts.
            self.factory.events.emit(
                "module.passport_imported",
                stored.module_id,
                f"{stored.vendor} {stored.serial}, signed by {stored.signer} ({stored.issuer})",
            )
        return passport, stored

    # -- signed order data -------------------------------------------------------------

    async def signed_order_data(self, order_id: str, terms: UsageTerms) -> dict[str, Any]:
        signer = self._signer()
        package = await self.factory.export_order(order_id)
        content = signed_content(json.loads(package.model_dump_json()), terms)
        return signing.sign(ORDER_PACKAGE_KIND, content, signer, self._now())

    # -- health and maintenance --------------------------------------------------------

    async def health(self) -> list[tuple[Health, Proposal | None]]:
        """Each known module's health, and the window proposed for it (if any). Reads
        what the scores look at, not the whole history (``service.module_health``)."""
        now = self._now()
        healths = await asyncio.to_thread(self._read_healths)
        return [(health, propose(health, now, self.health_settings)) for health in healths]

    async def schedule_maintenance(
        self,
        module_id: str,
        start: datetime | None,
        end: datetime | None,
        reason: str,
        request_id: str,
        accept_proposal: bool = False,
    ) -> StoredMaintenance:
        modules = await asyncio.to_thread(_known_modules, self.factory.store)
        if module_id not in modules:
            raise NotFound(f"no module {module_id!r} is known to this factory")
        if accept_proposal:
            [health] = await asyncio.to_thread(self._read_healths, modules, module_id)
            proposal = propose(health, self._now(), self.health_settings)
            if proposal is None:
                raise Conflict(
                    f"no maintenance is proposed for {module_id} (health "
                    f"{'unknown' if health.score is None else f'{health.score:.2f}'}); "
                    "give the window with --from and --to"
                )
            start, end, reason = proposal.start, proposal.end, reason or proposal.reason
        if start is None or end is None:
            raise BadInput(
                "a maintenance window needs a start and an end",
                [Violation("from/to", "give --from and --to, or --accept a proposal")],
            )
        window = await self.factory.maintenance.add(
            StoredMaintenance(
                request_id=request_id,
                module_id=module_id,
                start=start,
                end=end,
                reason=reason or "planned maintenance",
                created_at=self._now(),
            )
        )
        self.factory.events.emit(
            "module.maintenance_planned",
            module_id,
            f"{window.start.isoformat()} .. {window.end.isoformat()}: {window.reason}",
        )
        await self.factory.plans.inputs_changed()
        return window

    def _read_healths(
        self,
        modules: dict[str, tuple[int, ModuleDescription]] | None = None,
        only: str | None = None,
    ) -> list[Health]:
        """The health of every known module (or of ``only``), by module id; reads the
        store (run it off the loop)."""
        store = self.factory.store
        known = _known_modules(store) if modules is None else modules
        return [
            read_module_health(store, module_id, known[module_id][1], self.health_settings)
            for module_id in sorted(known)
            if only is None or module_id == only
        ]

    # -- reading -----------------------------------------------------------------------

    async def _history(self) -> _History:
        now = self._now()
        return await asyncio.to_thread(_read_history, self.factory.store, now)

    def _lifetime_usage(self, module_id: str, history: _History) -> Usage:
        leases = [s for s in history.records.leases if s.module_id == module_id]
        start = min((s.granted_at for s in leases), default=history.records.now)
        if start >= history.records.now:
            return Usage()
        usage = module_usage(history.records, Period(start, history.records.now))
        return usage.get(module_id) or Usage()

    def _earlier_sites(self, description: ModuleDescription, history: _History) -> list[SiteRecord]:
        """The sites in the newest imported passport of this physical unit."""
        for stored in reversed(history.passports):
            if (stored.vendor, stored.serial) == (description.vendor, description.serial):
                return list(_passport(json.loads(stored.signed_json)["content"]).history)
        return []

    def _standing(self, module_id: str) -> str:
        try:
            entry = self.factory.module(module_id).entry
        except NotFound:
            return "not registered"
        standing = str(entry.liveness.value)
        return f"{standing}, draining" if entry.draining else standing

    def _signer(self) -> signing.Signer:
        if self.keys.signer is None:
            raise Unsupported(
                "this factory has no signing key: start `pnp serve` with --tls-dir (the "
                "orchestrator's certificate from the factory PKI signs the factory's data)"
            )
        return self.keys.signer

    def _no_issuers(self) -> Sequence[x509.Certificate]:
        raise PermissionDenied(
            "this factory trusts no issuers: start `pnp serve` with --tls-dir, and add "
            f"other factories' CAs to {TRUSTED_ISSUERS_FOLDER}/ with `pnp pki trust`"
        )

    def _now(self) -> datetime:
        return self.factory.clock.now()


def _known_modules(store: Store) -> dict[str, tuple[int, ModuleDescription]]:
    """Every module this factory has seen, with its current epoch and description."""
    return {
        m.module_id: (m.epoch, description_from_dict(json.loads(m.descriptor_json)))
        for m in store.modules()
    }


def _read_history(store: Store, now: datetime) -> _History:
    modules = _known_modules(store)
    leases = [
        LeaseSpan(
            module_id=lease.module_id,
            epoch=lease.epoch,
            vendor=json.loads(lease.descriptor_json).get("vendor", ""),
            granted_at=lease.granted_at,
            ended_at=lease.ended_at,
        )
        for lease in store.leases()
    ]
    attempts = store.attempts.all()
    return _History(
        modules=modules,
        records=UsageRecords(
            now=now,
            leases=leases,
            attempts=attempts,
            drains=[DrainMark(d.module_id, d.at) for d in store.twin.drains()],
            power=[
                PowerSample(p.execution_id, p.time, p.kilowatts)
                for p in store.twin.power([a.execution_id for a in attempts])
            ],
        ),
        passports=store.twin.passports(),
    )


def _passport(content: Any) -> Passport:
    try:
        return Passport.model_validate(content)
    except ValidationError as error:
        raise BadInput(
            "the passport is malformed",
            [Violation(".".join(map(str, e["loc"])), e["msg"]) for e in error.errors()],
        ) from None
