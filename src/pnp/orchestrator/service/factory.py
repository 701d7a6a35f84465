"""The factory: registry, orders and plan behind one async facade used by the API.

Decisions are made by the pure parts (registry, matching, planning); this class does
the I/O around them: it persists before it acknowledges, runs the database off the
event loop, expires leases on a timer and tells the plan keeper when inputs change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pnp.orchestrator.clock import Clock, ScaledClock, SystemClock, wall_now
from pnp.orchestrator.domain.attempts import Attempt
from pnp.orchestrator.domain.events import Directive
from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.domain.matching import Unmatched, unmatched_steps
from pnp.orchestrator.domain.modules import (
    ModuleDescription,
    description_from_dict,
    validate_module,
)
from pnp.orchestrator.domain.operations import OperationSpec, expand_order
from pnp.orchestrator.domain.order_package import OrderPackage
from pnp.orchestrator.domain.orders import OrderRecord, OrderState, open_order_state
from pnp.orchestrator.domain.recipe_loader import load_recipe
from pnp.orchestrator.domain.recipes import Recipe
from pnp.orchestrator.errors import (
    AlreadyExists,
    BadInput,
    Conflict,
    NotFound,
    StorageFull,
    Violation,
)
from pnp.orchestrator.execution.link import LinkFactory
from pnp.orchestrator.execution.opcua_link import ModuleLink
from pnp.orchestrator.planning import LineGraph, Plan, PlanningInput, PlanStatus, plan_factory
from pnp.orchestrator.planning.kpis import PlanKpis, plan_kpis
from pnp.orchestrator.planning.plan_codec import plan_from_json, plan_to_json
from pnp.orchestrator.registry import ModuleEntry, PauseDetector, Registry
from pnp.orchestrator.registry.breaker import CircuitBreaker
from pnp.orchestrator.service.attempt_pages import AttemptPage
from pnp.orchestrator.service.events import EventLog
from pnp.orchestrator.service.executor import Executor
from pnp.orchestrator.service.export import build_package, read_recorded
from pnp.orchestrator.service.full_disk_notice import FullDiskNotice
from pnp.orchestrator.service.group_commit import GroupCommit
from pnp.orchestrator.service.ledger import AttemptLedger
from pnp.orchestrator.service.maintenance import MaintenanceBook
from pnp.orchestrator.service.order_book import CLOSED_CACHE, OPEN_STATES, OrderBook
from pnp.orchestrator.service.plan_archive import PlanArchive
from pnp.orchestrator.service.plan_keeper import PlanKeeper
from pnp.orchestrator.service.settings import FactorySettings
from pnp.orchestrator.service.settling import (
    REGISTRATION_LONGEST,
    REGISTRATION_QUIET,
    SettlingTrigger,
)
from pnp.orchestrator.service.solver_processes import SolverProcesses
from pnp.orchestrator.service.what_if_docks import check_what_if_docks
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredOperation, StoredOrder
from pnp.orchestrator.store.history import HistoryStore
from pnp.orchestrator.store.registrations import (
    RELEASED,
    Registration,
    StoredDrains,
    save_registrations,
    stored_drains,
)

log = logging.getLogger(__name__)

MAX_REQUEST_ID = 128
MAX_SOURCE = 512


@dataclass(frozen=True)
class OrderView:
    record: OrderRecord
    state: OrderState
    unmatched: tuple[Unmatched, ...]
    line_graph: LineGraph
    operations_total: int = 0
    operations_done: int = 0
    completed_at: datetime | None = None


@dataclass(frozen=True)
class SessionHandle:
    """An open module session: the way down to the module (acks and directives)."""

    module_id: str
    epoch: int
    token: int
    outbox: asyncio.Queue


@dataclass(frozen=True)
class ModuleView:
    entry: ModuleEntry
    lease_expires_at: datetime


class Factory:
    def __init__(
        self,
        store: Store,
        *,
        layout: Layout | None = None,
        settings: FactorySettings | None = None,
        clock: Clock | None = None,
        link_factory: LinkFactory | None = None,
    ) -> None:
        """``link_factory`` makes the executor's link to each module: OPC UA by default
        (``ModuleLink``); ``execution.memory_link`` has an in-memory one for tests."""
        self.store = store
        self.layout = layout
        self.settings = settings = settings or FactorySettings()
        self.clock = clock or (
            SystemClock()
            if settings.time_scale == 1.0
            else ScaledClock(settings.time_scale, resume_from=store.last_recorded_time())
        )
        stored_modules = store.modules()
        known = {m.module_id: (m.epoch, m.boot_id) for m in stored_modules}
        # Modules seen before this start: until they register again (or never do), the
        # work they did stays where it ran when planning (as for a lost module).
        self._known_modules: dict[str, ModuleDescription] = {
            m.module_id: description_from_dict(json.loads(m.descriptor_json))
            for m in stored_modules
        }
        # Drains and releases from before this start: modules register with them again.
        drains = stored_drains(store.engine) if stored_modules else StoredDrains()
        self.registry = Registry(
            self.clock,
            lease_ttl=settings.lease_ttl,
            heartbeat_interval=settings.heartbeat_interval,
            layout=layout,
            known_epochs=known,
            known_drains=drains.draining,
            known_releases=drains.released,
        )
        # Only open orders and the attempts that can still change are loaded: a takeover
        # costs the open work, not the factory's history, which stays in the store.
        self.history = HistoryStore(store.engine)
        self.book = OrderBook(store, self.history)
        now = self.clock.now()
        # The newest stored plan is where a restarted orchestrator resumes: dispatch goes
        # on at once, and plan versions keep counting up.
        stored_plan = store.plans.latest()
        initial = (
            plan_from_json(stored_plan.plan_json)
            if stored_plan is not None
            else Plan(0, PlanStatus.EMPTY, now, now)
        )
        self._line_graphs: dict[str, LineGraph] = {}  # open orders'
        # Closed orders' lines as they last stood, for the recently closed ones.
        self._closed_line_graphs: OrderedDict[str, LineGraph] = OrderedDict()
        self._keep_line_graphs(initial.line_graphs)
        self._saved_plan_version = initial.version
        # Plan versions are stored in the background; a full disk delays them only.
        self.plan_archive = PlanArchive(self._store_plan)
        self._lease_records = FullDiskNotice(
            "recording ended leases", "their rows stay open until the modules register again"
        )
        self._solver = SolverProcesses() if settings.solve_in_processes else None
        self.plans = PlanKeeper(
            self._planning_input,
            initial,
            on_plan=self._plan_made,
            solve=self._solver.solve if self._solver is not None else None,
        )
        self._sweeper: asyncio.Task | None = None
        self.pauses = PauseDetector(self.clock)
        self._submit_lock = asyncio.Lock()
        self.registrations = GroupCommit(
            self.registry, self._persist_registrations, self._registered
        )
        # One replan per herd of registrations, once it settles (``service.settling``);
        # real seconds, whatever the factory's clock: it paces the event loop's work.
        self._registration_replans = SettlingTrigger(
            self.plans.inputs_changed,
            time.monotonic,
            quiet=REGISTRATION_QUIET,
            longest=REGISTRATION_LONGEST,
        )
        self._order_states = asyncio.Lock()
        self._sessions: dict[str, SessionHandle] = {}
        self.breaker = CircuitBreaker(window_seconds=settings.lease_ttl)
        self.events = EventLog(store.events, self.clock)
        self.maintenance = MaintenanceBook(store.twin)  # planned windows (digital twin)
        self.ledger = AttemptLedger(
            store.attempts,
            self.history,
            order_is_open=self.book.is_open,
            resumed=self.history.attempts_to_resume(OPEN_STATES),
        )
        self.executor = Executor(
            ledger=self.ledger,
            floor=self.registry,
            breaker=self.breaker,
            events=self.events,
            plans=self.plans,
            orders=self,
            directives=self,
            telemetry=store.telemetry,
            link_factory=link_factory
            or functools.partial(
                ModuleLink,
                security=settings.opcua_security,
                leader_term=lambda: store.leader_term,  # read at every Start: fencing
            ),
            clock=self.clock,
            layout=layout,
            restart_grace=max(settings.restart_grace, 2 * settings.lease_ttl),
            return_grace=settings.return_grace,
            on_link_lost=self._link_lost,
            maintenance=self.maintenance.windows,
        )

    async def start(self) -> None:
        self.events.start()
        in_flight = len(self.ledger.active())
        self.events.emit(
            "orchestrator.started",
            "factory",
            f"schema v{self.store.schema_version}, {len(self.open_orders())} open orders, "
            f"{in_flight} attempts in flight, plan v{self.plans.plan.version}",
        )
        await self.events.flush()  # on disk before anyone can reach this orchestrator
        if self._solver is not None:
            self._solver.start()
        self.plans.start()
        self.executor.start()
        self._sweeper = asyncio.create_task(self._expire_leases(), name="lease-sweeper")
        await self.plans.inputs_changed()

    async def stop(self) -> None:
        await self.registrations.stop()
        await self._registration_replans.stop()
        await self.executor.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        # Plans first: a solve finishing meanwhile still reaches the archive, which then
        # stores it before the store is closed (and refuses anything later).
        await self.plans.stop()
        await self.plan_archive.stop()
        if self._solver is not None:
            await self._solver.stop()
        try:
            await self.events.stop()
        except StorageFull as full:  # the stop goes on: the events are lost, and said so
            log.warning("%d events not stored on stop: %s", self.events.unstored, full.message)

    # -- modules ----------------------------------------------------------------------

    async def register_module(
        self, description: ModuleDescription, boot_id: str, *, replace: bool = False
    ) -> ModuleEntry:
        """``replace``: a deliberate swap, taking the id over from another unit that holds
        it under a live lease (without it that is refused, ``Registry.admission``)."""
        problems = validate_module(description)
        if problems:
            raise BadInput(f"module descriptor {description.module_id!r} is invalid", problems)
        # The epoch is chosen, persisted, and only then made current and answered, so
        # epochs never go backwards, not even across a restart; registrations that
        # arrive together are committed together (``group_commit``).
        return await self.registrations.register(description, boot_id, replace=replace)

    def _persist_registrations(self, admitted: Sequence[tuple[ModuleEntry, ModuleDescription]]):
        """One transaction for a group of registrations (in a worker thread)."""
        save_registrations(
            self.store.fence.begin,
            [
                Registration(
                    module_id=entry.module_id,
                    epoch=entry.epoch,
                    boot_id=entry.boot_id,
                    descriptor_json=json.dumps(dataclasses.asdict(description)),
                    registered_at=entry.registered_at,
                    lease_ttl_seconds=self.settings.lease_ttl,
                )
                for entry, description in admitted
            ],
        )

    async def _registered(self, recorded: Sequence[tuple[ModuleEntry, ModuleDescription]]):
        """A group of registrations is durable and current: told once; replanned once the
        herd it belongs to settles (``_registration_replans``)."""
        for entry, description in recorded:
            self._known_modules[entry.module_id] = description
            self.events.emit(
                "module.registered",
                entry.module_id,
                f"{description.kind or description.model} on dock {description.dock}, "
                f"epoch {entry.epoch}",
            )
        if recorded:
            self._check_breaker_reset()
            self._registration_replans.changed()

    def open_session(self, module_id: str, epoch: int) -> SessionHandle:
        entry = self.registry.open_session(module_id, epoch)
        handle = SessionHandle(module_id, epoch, entry.session_token, asyncio.Queue())
        self._sessions[module_id] = handle
        self.events.emit("module.session_opened", module_id, f"epoch {epoch}")
        if entry.draining:  # a draining module that reconnects is told again
            self.send_directive(module_id, "drain", "draining")
        if entry.released:  # and so is its release, which may have found no session open
            self.send_directive(module_id, "release", "drained: you may unplug")
        return handle

    def send_directive(
        self, module_id: str, kind: str, reason: str, configuration: dict | None = None
    ) -> bool:
        """Queues a directive on the module's open session; False when it has none."""
        handle = self._sessions.get(module_id)
        if handle is None:
            return False
        handle.outbox.put_nowait(
            Directive(
                kind=kind,
                epoch=handle.epoch,
                reason=reason,
                configuration=tuple(sorted((configuration or {}).items())),
            )
        )
        self.events.emit(f"module.{kind}", module_id, reason)
        return True

    def heartbeat(self, module_id: str, epoch: int, token: int) -> float:
        return self.registry.heartbeat(module_id, epoch, token)

    def report_state(self, module_id: str, epoch: int, token: int, item_state: str) -> None:
        self.registry.report_state(module_id, epoch, token, item_state)

    def close_session(self, module_id: str, epoch: int, token: int) -> None:
        handle = self._sessions.get(module_id)
        if handle is not None and handle.token == token:
            del self._sessions[module_id]
        if self.registry.close_session(module_id, epoch, token) is not None:
            self.events.emit("module.suspect", module_id, "session dropped")
            self.executor.poke()

    def _link_lost(self, module_id: str) -> None:
        """The module's OPC UA connection dropped: suspect until its next heartbeat."""
        if self.registry.connection_dropped(module_id) is not None:
            self.events.emit("module.suspect", module_id, "OPC UA connection dropped")
            self.executor.poke()

    async def module_revoked(self, module_id: str, epoch: int) -> None:
        """The module's certificate was revoked: it is lost at once (its work replanned,
        the executor's OPC UA link to it closed on the next pass), not a lease later."""
        if self.registry.lose(module_id, epoch) is None:
            return
        self.events.emit("module.lost", module_id, "certificate revoked")
        self.executor.poke()
        await self.plans.inputs_changed(urgent=True)
        await self._record_lease_end(module_id, epoch, "certificate revoked")

    async def _record_lease_end(self, module_id: str, epoch: int, reason: str) -> None:
        """The record follows the decision (already in memory and the event log). A full
        disk leaves the lease's row open, said once, instead of stopping the lease sweeper;
        the module's next registration ends it. Any other store error (a database
        restarting, a locked file) is logged with its traceback and the sweeper goes on:
        it must never die, or no module would ever be marked lost again."""
        try:
            await asyncio.to_thread(
                self.store.end_lease, module_id, epoch, self.clock.now(), reason
            )
        except StorageFull as full:
            self._lease_records.full(full)
        except Exception:
            log.exception("recording the end of %s's lease (epoch %d) failed", module_id, epoch)
        else:
            self._lease_records.cleared()

    async def deregister_module(self, module_id: str, epoch: int) -> None:
        if self.registry.deregister(module_id, epoch) is not None:
            self.events.emit("module.deregistered", module_id, f"epoch {epoch}")
            await self.plans.inputs_changed()
            await asyncio.to_thread(
                self.store.end_lease, module_id, epoch, self.clock.now(), "deregistered"
            )

    async def drain_module(self, module_id: str) -> ModuleView:
        """No new work for the module; its current operation finishes there; the rest is
        replanned elsewhere; once idle it is released (the executor sees to that)."""
        entry = self.registry.get(module_id)
        if not entry.draining:
            self.registry.set_draining(module_id)
            self.events.emit("module.draining", module_id, "drain requested")
            self.send_directive(module_id, "drain", "no new work; finish the current operation")
            await self.plans.inputs_changed()
            self.executor.poke()
        return self.module(module_id)

    def release_module(self, module_id: str) -> None:
        """A drained module with nothing left to do is told it may leave."""
        self.registry.set_released(module_id)
        self.events.emit(RELEASED, module_id, "drained: it may be unplugged")
        self.send_directive(module_id, "release", "drained: you may unplug")

    def modules(self) -> list[ModuleView]:
        return [self._module_view(e) for e in self.registry.entries()]

    def module(self, module_id: str) -> ModuleView:
        return self._module_view(self.registry.get(module_id))

    def _module_view(self, entry: ModuleEntry) -> ModuleView:
        return ModuleView(entry, self.registry.lease_expires_at(entry))

    async def _expire_leases(self) -> None:
        """Sweeps leases, and first excuses our own stalls (``registry.pauses``).

        One task does both, in this order, so that no sweep can judge a lease after a
        stall before the stall is excused; and the tick after a stall does not sweep, so
        that heartbeats that queued up during it are read first.
        """
        sweep_every = min(0.5, self.settings.heartbeat_interval / 2)
        next_sweep = self.clock.monotonic() + sweep_every
        while True:
            await asyncio.sleep(self.pauses.arm())
            paused = self.pauses.woke()
            if paused:
                self.registry.excuse_pause(paused)
                log.info("event loop paused %.0f ms; leases extended by as much", paused * 1e3)
                continue
            if self.clock.monotonic() < next_sweep:
                continue
            next_sweep = self.clock.monotonic() + sweep_every
            floor_before = self.registry.plugged_in
            lost = self.registry.expire()
            for entry in lost:
                self.events.emit("module.lost", entry.module_id, "lease expired")
            if not lost:
                continue
            if self.breaker.record_losses(len(lost), self.clock.monotonic(), floor_before):
                self.plans.freeze()
                self.events.emit(
                    "alarm.mass_loss",
                    "factory",
                    f"{self.breaker.recent_losses} of {floor_before} modules lost within "
                    f"{self.settings.lease_ttl:g} s: replanning frozen (network or "
                    "orchestrator fault suspected)",
                )
            self.executor.poke()
            await self.plans.inputs_changed(urgent=True)
            # The record of the lease follows the decision (which is already in memory
            # and in the event log); the repair above must not wait on the disk.
            for entry in lost:
                await self._record_lease_end(entry.module_id, entry.epoch, "lease expired")

    def _check_breaker_reset(self) -> None:
        alive, floor = self.registry.plugged_in, self.registry.on_floor  # counts, no scan
        if self.breaker.maybe_reset(alive, floor):
            self.plans.unfreeze()
            self.events.emit("alarm.cleared", "factory", f"{alive} of {floor} modules back")

    # -- orders -----------------------------------------------------------------------

    async def submit_order(self, recipe_yaml: str, source: str, request_id: str) -> OrderView:
        """Validates, stores and commits the order, then answers. Idempotent per request id."""
        if not request_id or len(request_id) > MAX_REQUEST_ID:
            raise BadInput(
                "request_id is required",
                [Violation("request_id", f"must be 1..{MAX_REQUEST_ID} characters")],
            )
        if len(source) > MAX_SOURCE:
            raise BadInput(
                "source is too long",
                [Violation("source", f"at most {MAX_SOURCE} characters")],
            )
        recipe = load_recipe(recipe_yaml, source or "<recipe>")
        async with self._submit_lock:
            # Shielded: once the commit starts, the order is made known here too, even
            # if the caller gives up waiting (it will find the order by request id).
            return await asyncio.shield(self._store_order(recipe, recipe_yaml, source, request_id))

    async def _store_order(
        self, recipe: Recipe, recipe_yaml: str, source: str, request_id: str
    ) -> OrderView:
        stored = await asyncio.to_thread(
            self.store.add_order,
            request_id=request_id,
            source=source,
            recipe_yaml=recipe_yaml,
            state=OrderState.ALLOWED_TO_START.value,
            submitted_at=self.clock.now(),
            operations=lambda order_id: StoredOperation.of_order(order_id, recipe),
        )
        if stored.recipe_yaml != recipe_yaml:
            raise AlreadyExists(
                f"request id {request_id!r} was used for order {stored.order_id} with a "
                "different recipe; use a new request id for a new order"
            )
        # Every open order is in the book: an open one missing there was made just now
        # (a retry finds the one it made before, open or long closed).
        if OrderState(stored.state).is_open and not self.book.is_open(stored.order_id):
            self.book.add(
                OrderRecord(
                    order_id=stored.order_id,
                    request_id=request_id,
                    source=source,
                    recipe_yaml=recipe_yaml,
                    recipe=recipe,
                    state=OrderState(stored.state),
                    submitted_at=stored.submitted_at,
                )
            )
            self.events.emit("order.submitted", stored.order_id, recipe.metadata.name)
            await self.plans.inputs_changed()
        return await self.order_view(stored.order_id)

    # Reading orders: open ones from memory; closed ones from the store, in a worker
    # thread on the API's paths (``order_view``, ``order_views``, ``attempts_of``), or on
    # the caller's thread in the synchronous forms kept for in-process callers.

    def order(self, order_id: str) -> OrderView:
        """Any order (a closed one not read lately is read from the store now)."""
        record = self.book.record(order_id)
        done, last_end = self.ledger.done_operations(order_id)
        return self._view(record, done, last_end)

    async def order_view(self, order_id: str) -> OrderView:
        """As ``order``, with any store read off the event loop."""
        record = self.book.cached(order_id)
        if record is not None and record.state.is_open:
            return self.order(order_id)
        if record is None:
            record = await asyncio.to_thread(self.book.load_closed, order_id)
            self.book.remember([record])
        counts = await asyncio.to_thread(self.history.done_operations, [order_id])
        return self._view(record, *counts.get(order_id, (0, None)))

    def orders(self) -> list[OrderView]:
        """Every order, oldest first (the history read on the caller's thread)."""
        return self._views(*self._read_history(self.book.open_ids(), self.book.closed_cached()))

    async def order_views(
        self, chosen: Callable[[], list[StoredOrder]] | None = None
    ) -> list[OrderView]:
        """As ``orders``, with the store reads and parsing off the event loop; ``chosen``
        reads which stored orders, in which order (default: every one, oldest first)."""
        history = await asyncio.to_thread(
            self._read_history, self.book.open_ids(), self.book.closed_cached(), chosen
        )
        return self._views(*history)

    def _read_history(
        self,
        open_ids: frozenset[str],
        cached: dict[str, OrderRecord],
        chosen: Callable[[], list[StoredOrder]] | None = None,
    ) -> tuple[list[StoredOrder], dict[str, OrderRecord], dict[str, tuple[int, datetime | None]]]:
        """The stored orders (every one, or those ``chosen`` reads), the closed ones
        parsed, and their done counts. Touches no state of the factory (safe in a
        worker thread)."""
        stored = self.store.orders() if chosen is None else chosen()
        closed = [s for s in stored if s.order_id not in open_ids and s.order_id not in cached]
        parsed = {r.order_id: r for r in self.book.load_many(closed)}
        ids = None if chosen is None else [s.order_id for s in stored]
        return stored, {**cached, **parsed}, self.history.done_operations(ids)

    def _views(
        self,
        stored: list[StoredOrder],
        closed: dict[str, OrderRecord],
        done: dict[str, tuple[int, datetime | None]],
    ) -> list[OrderView]:
        views = []
        for order in stored:
            if self.book.is_open(order.order_id):
                views.append(self.order(order.order_id))
                continue
            record = closed.get(order.order_id) or self.book.cached(order.order_id)
            if record is None:  # unreadable (set aside), or closed while we read
                continue
            views.append(self._view(record, *done.get(order.order_id, (0, None))))
        return views

    def _view(self, record: OrderRecord, done: int, last_end: datetime | None) -> OrderView:
        unmatched = (
            tuple(unmatched_steps(record.recipe.spec.steps, self.registry.plannable()))
            if record.state.is_open
            else ()
        )
        return OrderView(
            record=record,
            state=open_order_state(record.state, bool(unmatched)),
            unmatched=unmatched,
            line_graph=self._line_graph(record.order_id),
            operations_total=len(self.book.operations_of(record.order_id))
            if record.state.is_open
            else len(expand_order(record.order_id, record.recipe)),
            operations_done=done,
            completed_at=last_end if record.state is OrderState.COMPLETED else None,
        )

    async def export_order(self, order_id: str) -> OrderPackage:
        """The order's data package, from what the store recorded."""
        view = await self.order_view(order_id)  # NotFound names the order
        recorded = await asyncio.to_thread(read_recorded, self.store, order_id)
        return build_package(
            view.record,
            recorded,
            view.line_graph,
            view.completed_at,
            wall_now(self.clock),  # for people: when it was really exported
            self.clock.now(),
        )

    def attempts(self, order_id: str = "") -> list[Attempt]:
        """An order's attempts (every attempt, for ""), oldest first; history is read
        from the store on the caller's thread."""
        if order_id and not self.book.is_open(order_id):
            self._require_order(order_id)
        return self.ledger.of_order(order_id)

    async def attempts_of(self, order_id: str = "") -> list[Attempt]:
        """As ``attempts``, with the store read off the event loop."""
        if order_id and self.book.is_open(order_id):
            return self.ledger.of_order(order_id)
        if order_id:
            await asyncio.to_thread(self._require_order, order_id)
        stored = await asyncio.to_thread(self.ledger.stored, order_id)
        return self.ledger.merged(stored, order_id)

    async def attempts_page(
        self, page: AttemptPage, order_id: str = "", module_id: str = ""
    ) -> tuple[list[Attempt], str]:
        """ListAttempts: a page of attempts and the next page's token, or unpaged what
        ``service.attempt_pages`` says; only the order's or the module's when named."""
        if order_id and page.size is None:
            attempts = await self.attempts_of(order_id)
            return [a for a in attempts if not module_id or a.module_id == module_id], ""
        if order_id:
            if not self.book.is_open(order_id):
                await asyncio.to_thread(self._require_order, order_id)
            return await page.select_of_order(
                self.ledger, self.history, order_id, module_id=module_id
            )
        return await page.select(self.ledger, self.history, module_id=module_id)

    async def attempt_outcomes(self) -> dict[str, int]:
        """How many attempts stand in each state (from the store)."""
        return await asyncio.to_thread(self.history.attempt_outcomes)

    def _require_order(self, order_id: str) -> None:
        if self.book.cached(order_id) is None and self.store.order(order_id) is None:
            raise NotFound(f"no order {order_id!r}; `pnp orders` lists them")

    def open_orders(self) -> list[OrderRecord]:
        return self.book.open_records()

    def is_open(self, order_id: str) -> bool:
        return self.book.is_open(order_id)

    def order_record(self, order_id: str) -> OrderRecord:
        return self.book.record(order_id)

    def operations_of(self, order_id: str) -> dict[str, OperationSpec]:
        """The order's operations (each step x lot) by id; NotFound for an unknown order."""
        return self.book.operations_of(order_id)

    async def set_order_state(self, order_id: str, state: OrderState) -> None:
        """Moves an open order on (the executor calls this); a closed one stays closed,
        so a cancellation racing with progress wins."""
        async with self._order_states:  # one transition at a time: no lost update
            if not self.book.is_open(order_id):
                return
            await asyncio.to_thread(self.store.set_order_state, order_id, state.value)
            self._moved(order_id, state)
        self.events.emit(f"order.{state.name.lower()}", order_id, state.value)

    def _moved(self, order_id: str, state: OrderState) -> None:
        """The stored state changed: memory follows; a closed order becomes history."""
        self.book.set_state(order_id, state)
        if not state.is_open:
            self.ledger.order_closed(order_id)
            graph = self._line_graphs.pop(order_id, None)
            if graph is not None:
                self._remember_closed_line(order_id, graph)

    async def cancel_order(self, order_id: str) -> OrderView:
        view = await self._cancel(order_id)
        self.events.emit("order.cancelled", order_id, "cancelled by request")
        return view

    async def _cancel(self, order_id: str) -> OrderView:
        record = (await self.order_view(order_id)).record
        if record.state is OrderState.ABORTED:
            return await self.order_view(order_id)
        if not record.state.is_open:
            raise Conflict(f"order {order_id} is {record.state.value} and cannot be cancelled")
        await asyncio.shield(self._abort_order(record))
        return await self.order_view(order_id)

    async def _abort_order(self, record: OrderRecord) -> None:
        async with self._order_states:
            await asyncio.to_thread(
                self.store.set_order_state, record.order_id, OrderState.ABORTED.value
            )
            self._moved(record.order_id, OrderState.ABORTED)
        await self.plans.inputs_changed()

    # -- plan -------------------------------------------------------------------------

    async def what_if(
        self,
        without: list[str],
        with_kinds: list[str],
        with_modules: list[ModuleDescription],
    ) -> tuple[Plan, Plan, PlanKpis, PlanKpis]:
        """Replans a copy of the factory with modules taken out or added; the live plan
        and the floor are not touched. Both plans are made now, for a fair comparison."""
        for module_id in without:
            self.registry.get(module_id)  # NotFound names an unknown module
        added = [*with_modules, *(self._module_like(spec) for spec in with_kinds)]
        for description in added:
            problems = validate_module(description)
            if problems:
                raise BadInput(f"module {description.module_id!r} is invalid", problems)
        check_what_if_docks(self.registry, added, without)  # as a registration would
        baseline = self._planning_input(0)
        alternative = dataclasses.replace(
            baseline,
            modules=(
                *(m for m in baseline.modules if m.module_id not in without),
                *added,
            ),
            retired_modules=(
                *baseline.retired_modules,
                *(m for m in baseline.modules if m.module_id in without),
            ),
            lost_module_ids=baseline.lost_module_ids | frozenset(without),
        )
        current_plan, alternative_plan = await asyncio.gather(
            self._solve(baseline), self._solve(alternative)
        )
        orders = baseline.orders
        return (
            current_plan,
            alternative_plan,
            plan_kpis(current_plan, orders),
            plan_kpis(alternative_plan, orders),
        )

    async def _solve(self, inputs: PlanningInput) -> Plan:
        if self._solver is not None:
            return await self._solver.solve(inputs)
        return await asyncio.to_thread(plan_factory, inputs)

    def _module_like(self, spec: str) -> ModuleDescription:
        """KIND@DOCK: a copy of a registered module of that kind, on that dock."""
        kind, _, dock = spec.partition("@")
        if not kind or not dock:
            raise BadInput(f"{spec!r} is not KIND@DOCK", [Violation("with_modules", spec)])
        template = next(
            (e.description for e in self.registry.entries() if e.description.kind == kind), None
        )
        if template is None:
            raise BadInput(
                f"no registered module of kind {kind!r} to copy",
                [
                    Violation(
                        "with_modules",
                        f"{spec}: no registered module of kind {kind!r} to copy; "
                        "describe the module in full instead",
                    )
                ],
            )
        if self.layout is not None:
            self.layout.dock(dock)  # NotFound names the known docks
        return dataclasses.replace(template, module_id=f"what-if-{kind}-{dock}".lower(), dock=dock)

    async def plan(self, wait_for_current: bool) -> Plan:
        if not wait_for_current:
            return self.plans.plan
        await self._registration_replans.flush()  # registrations not yet replanned for
        return await self.plans.current()

    def _planning_input(self, version: int, urgent: bool = False) -> PlanningInput:
        registered = {e.module_id for e in self.registry.entries()}
        absent = {i: d for i, d in self._known_modules.items() if i not in registered}
        return PlanningInput(
            orders=tuple(self.book.open_records()),
            modules=tuple(self.registry.plannable()),
            layout=self.layout,
            origin=self.clock.now(),
            version=version,
            time_limit=(
                min(self.settings.repair_time_limit, self.settings.solve_time_limit)
                if urgent
                else self.settings.solve_time_limit
            ),
            workers=self.settings.solve_workers,
            seed=self.settings.seed,
            progress=self.ledger.progress(),
            retired_modules=(
                *(
                    e.description
                    for e in self.registry.entries()
                    if e.draining or not e.liveness.occupies_dock
                ),
                *absent.values(),
            ),
            lost_module_ids=frozenset(
                e.module_id for e in self.registry.entries() if not e.liveness.occupies_dock
            )
            | frozenset(absent),
            previous={a.operation_id: (a.module_id, a.start) for a in self.plans.plan.assignments},
            maintenance=self.maintenance.windows(),
        )

    def _keep_line_graphs(self, line_graphs: Mapping[str, LineGraph]) -> None:
        for order_id, graph in line_graphs.items():
            if self.book.is_open(order_id):
                self._line_graphs[order_id] = graph
            else:  # closed since the plan was made
                self._remember_closed_line(order_id, graph)

    def _remember_closed_line(self, order_id: str, graph: LineGraph) -> None:
        self._closed_line_graphs[order_id] = graph
        self._closed_line_graphs.move_to_end(order_id)
        while len(self._closed_line_graphs) > CLOSED_CACHE:
            self._closed_line_graphs.popitem(last=False)

    def _line_graph(self, order_id: str) -> LineGraph:
        graph = self._line_graphs.get(order_id) or self._closed_line_graphs.get(order_id)
        return graph if graph is not None else LineGraph(order_id)

    def _store_plan(self, plan: Plan) -> None:
        """In a worker thread: encoding a large plan takes a while."""
        self.store.plans.add(plan.version, plan.created_at, plan.status.value, plan_to_json(plan))

    def _plan_made(self, plan: Plan) -> None:
        # A completed order leaves the plan; its line, as it last stood, stays shown
        # (for the most recently closed orders: older lines are not kept).
        self._keep_line_graphs(plan.line_graphs)
        if plan.version > self._saved_plan_version:  # a failed solve re-announces the old one
            self._saved_plan_version = plan.version
            self.plan_archive.add(plan)
        self.events.emit(
            "plan.updated",
            f"v{plan.version}",
            f"{plan.status.value}, {len(plan.assignments)} operations, makespan "
            f"{plan.makespan_seconds:.0f} s, solved in {plan.solve_seconds:.2f} s",
        )
        self.executor.poke()
