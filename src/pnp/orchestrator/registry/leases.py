"""Registrations, leases and epochs, as a pure state machine over an injected clock.

- A registration admits a module onto its dock (which must exist, be free and have the
  utilities the module needs) and gives it an **epoch**: a new boot id gets a higher
  epoch than any before it, the same boot id (a retry) keeps its epoch.
- A **lease** is renewed by heartbeats; a dropped session (or OPC UA connection) makes
  the module SUSPECT at once, an expired lease makes it LOST. The lease a registration
  grants, until a session opens (or a heartbeat renews it), is longer:
  ``FIRST_SESSION_LEASES`` lease periods, as Kubernetes gives a starting node a longer
  grace than a running one. The module opens its session at once, but after a takeover
  its call to open it waits in line behind the whole floor's registrations, for as
  long as we take to answer them.
- Anything carrying an older epoch than the current one is refused (``Fenced``).
- Time the orchestrator itself was not listening (its event loop stalled: a long
  computation, a GC pause, the machine starved of CPU) is not held against modules:
  ``excuse_pause`` extends every running lease by the pause, as the pause detectors of
  distributed databases do, so our own stall never turns a healthy module LOST. It
  costs the same for five modules as for five thousand: deadlines are kept on a
  *listening clock* (the monotonic clock less every stall excused so far), and excusing
  a stall only stops that clock for its length (``Registry._listening``).

No I/O here: the service persists epochs and calls ``expire`` on a timer.

With thousands of modules, nothing done per registration, per heartbeat or per sweep
walks the whole floor: a dock index answers "is this dock free", counts kept as entries
change answer "how many are plugged in", a queue in deadline order (``_LeaseQueue``)
answers "whose lease has run out", and the change log (``changed_since``) tells a
reader of the floor which entries moved since it last looked.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypedDict, Unpack

from pnp.orchestrator.clock import Clock
from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.errors import (
    AlreadyExists,
    BadInput,
    Conflict,
    Fenced,
    LeaseExpired,
    NotFound,
    Violation,
)

# The lease a registration grants, until a session opens, in lease periods.
FIRST_SESSION_LEASES = 3


class Liveness(enum.Enum):
    ALIVE = "alive"
    SUSPECT = "suspect"
    LOST = "lost"
    GONE = "gone"

    @property
    def occupies_dock(self) -> bool:
        return self in (Liveness.ALIVE, Liveness.SUSPECT)


@dataclass(frozen=True)
class ModuleEntry:
    description: ModuleDescription
    epoch: int
    boot_id: str
    registered_at: datetime
    lease_deadline: float  # on the registry's listening clock (``Registry._listening``)
    liveness: Liveness
    session_open: bool = False
    item_state: str = "NotAvailable"
    draining: bool = False
    # Which session stream is the current one: a reconnecting module may open a new
    # stream before the old one has closed, and only the newest may speak for it.
    session_token: int = 0
    released: bool = False  # drained and told it may leave

    @property
    def module_id(self) -> str:
        return self.description.module_id


class _EntryChanges(TypedDict, total=False):
    """The fields of a ``ModuleEntry`` that change while the module is registered."""

    lease_deadline: float
    liveness: Liveness
    session_open: bool
    item_state: str
    draining: bool
    session_token: int
    released: bool


class Registry:
    def __init__(
        self,
        clock: Clock,
        *,
        lease_ttl: float,
        heartbeat_interval: float,
        layout: Layout | None = None,
        known_epochs: Mapping[str, tuple[int, str]] | None = None,
        known_drains: Iterable[str] = (),
        known_releases: Iterable[str] = (),
    ) -> None:
        """``known_epochs``: module id -> (last epoch, its boot id), from the store;
        ``known_drains``: modules drained before a restart (they register draining);
        ``known_releases``: those of them already released (the same boot registers
        released; a new one is released again once idle)."""
        if heartbeat_interval <= 0 or lease_ttl <= heartbeat_interval:
            raise ValueError("need 0 < heartbeat_interval < lease_ttl")
        self.clock = clock
        self.lease_ttl = lease_ttl
        self.heartbeat_interval = heartbeat_interval
        self.layout = layout
        self._entries: dict[str, ModuleEntry] = {}
        self._epochs: dict[str, tuple[int, str]] = dict(known_epochs or {})
        self._drained_before: set[str] = set(known_drains)  # until they register again
        self._released_before: set[str] = set(known_releases)
        # The dock index: dock -> the module occupying it (alive or suspect), so that a
        # registration checks its dock in one look-up, not a scan of the floor.
        self._occupant: dict[str, str] = {}
        self._indexed_dock: dict[str, str] = {}  # module id -> its dock in the index
        self._sorted_ids: list[str] = []  # module ids in order; rebuilt when one joins
        self._excused = 0.0  # seconds of our own stalls excused so far (``excuse_pause``)
        # Counts every change to an entry but a lease renewal: whoever scans the floor
        # (the executor, four times a second) scans again only when it has moved.
        self.changes = 0
        # module id -> ``changes`` at its last change, oldest change first (a changed
        # module moves to the end): what moved since a reader last looked, in O(moved).
        self._last_change: dict[str, int] = {}
        self._leases = _LeaseQueue()
        self._gone = 0  # entries GONE (deregistered): the floor is the rest
        # Drained and not released yet, still plugged in: the executor's to release.
        self._awaiting_release: set[str] = set()

    # -- registration ---------------------------------------------------------------

    def admission(
        self,
        description: ModuleDescription,
        boot_id: str,
        claimed: Mapping[str, str] | None = None,
        *,
        replace: bool = False,
    ) -> ModuleEntry:
        """The entry a registration would get (checks identity and dock, picks the epoch).

        Nothing changes until ``record`` is called with it: the caller persists the
        epoch in between, so an epoch is never visible before it is durable.
        ``claimed``: docks promised to other admissions not recorded yet (dock -> module
        id), when several are persisted together. ``replace``: a deliberate swap, which
        takes the id over from another unit that still holds it (``_check_identity``).
        """
        if not boot_id or len(boot_id) > 128:
            raise BadInput(
                "boot_id is required",
                [Violation("boot_id", "must be a non-empty id of at most 128 characters")],
            )
        previous = self._entries.get(description.module_id)
        if not replace:
            self._check_identity(previous, description, boot_id)
        self._check_dock(description, claimed or {})
        last_epoch, last_boot = self._epochs.get(description.module_id, (0, ""))
        epoch = last_epoch if boot_id == last_boot else last_epoch + 1
        # A drain is the planner's decision about the module id: a reconnect or a reboot
        # of the same unit does not undo it; only leaving (deregistration) or a swap does.
        drained = (
            previous is not None
            and previous.liveness is not Liveness.GONE
            and (previous.epoch == epoch or _same_unit(previous.description, description))
        )
        draining = (drained and previous is not None and previous.draining) or (
            previous is None and description.module_id in self._drained_before
        )
        released = (drained and previous is not None and previous.released) or (
            previous is None
            and boot_id == last_boot
            and description.module_id in self._released_before
        )
        entry = ModuleEntry(
            description=description,
            epoch=epoch,
            boot_id=boot_id,
            registered_at=(
                previous.registered_at
                if previous is not None and previous.epoch == epoch
                else self.clock.now()
            ),
            lease_deadline=self._renewed_deadline(),
            liveness=Liveness.ALIVE,
            session_open=previous.session_open if previous and previous.epoch == epoch else False,
            item_state=previous.item_state
            if previous and previous.epoch == epoch
            else "NotAvailable",
            session_token=previous.session_token if previous and previous.epoch == epoch else 0,
            draining=draining,
            released=released,
        )
        return entry

    def record(self, entry: ModuleEntry) -> ModuleEntry:
        """Makes an admitted entry current (after its epoch was persisted)."""
        last_epoch, _ = self._epochs.get(entry.module_id, (0, ""))
        if entry.epoch < last_epoch:
            raise Fenced(
                f"module {entry.module_id}: epoch {entry.epoch} was overtaken by epoch "
                f"{last_epoch}; register again"
            )
        # The lease runs from now, not from the admission: persisting a herd of
        # registrations on a busy machine can take longer than a lease, and a module
        # must not be lost before it has even been told it is registered. And it runs
        # longer until a session opens (or a heartbeat comes on one still open): the
        # call opening it waits behind the rest of a herd's calls (module docstring).
        first_lease = self.lease_ttl * FIRST_SESSION_LEASES
        entry = self._put(entry, lease_deadline=self._listening() + first_lease)
        self._epochs[entry.module_id] = (entry.epoch, entry.boot_id)
        return entry

    def admit(self, description: ModuleDescription, boot_id: str) -> ModuleEntry:
        """Admission and record in one step (for callers that persist nothing)."""
        return self.record(self.admission(description, boot_id))

    def _check_identity(
        self, holder: ModuleEntry | None, description: ModuleDescription, boot_id: str
    ) -> None:
        """An id held under a live lease is not taken over by another unit by accident.

        A registration of the same boot is a retry; a new boot of the same unit (serial,
        kind and dock) takes over by epoch once the holder's session has dropped (it
        crashed or restarted). Anything else while the lease lives is refused: another
        unit (a wrong ``--id``), or a second process of the same unit next to a live one.
        """
        if (
            holder is None
            or not holder.liveness.occupies_dock
            or holder.lease_deadline <= self._listening()
            or holder.boot_id == boot_id
        ):
            return
        held = holder.description
        if _same_unit(held, description) and not (
            holder.session_open and holder.liveness is Liveness.ALIVE
        ):
            return  # the unit rebooted: its old session is gone
        what = held.kind or held.model
        raise AlreadyExists(
            f"{held.module_id} is held by a live {what} on dock {held.dock} "
            f"(serial {held.serial}); drain and deregister it, or register with --replace"
        )

    def _check_dock(self, description: ModuleDescription, claimed: Mapping[str, str]) -> None:
        dock = description.dock
        for other in (self._occupant.get(dock), claimed.get(dock)):
            if other is not None and other != description.module_id:
                raise Conflict(
                    f"dock {dock} is taken by module {other}; "
                    "plug into a free dock or unplug that module first"
                )
        if self.layout is None:
            return
        try:
            found = self.layout.dock(dock)
        except NotFound as unknown:
            raise BadInput(
                unknown.message, [Violation("descriptor.dock", unknown.message)]
            ) from None
        needs, limits = description.utilities, found.limits
        for name, unit in (
            ("power_kw", "kW"),
            ("air_nl_per_min", "Nl/min"),
            ("water_l_per_min", "L/min"),
        ):
            need, limit = getattr(needs, name), getattr(limits, name)
            if need > limit:
                raise Conflict(
                    f"module {description.module_id} needs {name} {need:g} {unit}, "
                    f"dock {found.id} supplies at most {limit:g} {unit}"
                )

    # -- sessions and leases --------------------------------------------------------

    def current(self, module_id: str, epoch: int) -> ModuleEntry:
        """The module's entry, if ``epoch`` is its current one; else NotFound or Fenced."""
        entry = self._entries.get(module_id)
        if entry is None or entry.liveness is Liveness.GONE:
            raise NotFound(f"module {module_id} is not registered; register it first")
        if epoch != entry.epoch:
            held = entry.description  # named, so that a unit swapped out knows by whom
            raise Fenced(
                f"module {module_id}: epoch {epoch} is stale, the current registration has "
                f"epoch {entry.epoch} ({held.kind or held.model} on dock {held.dock}, serial "
                f"{held.serial}); register again"
            )
        if entry.liveness is Liveness.LOST:
            raise LeaseExpired(f"module {module_id}: its lease expired; register again")
        return entry

    def open_session(self, module_id: str, epoch: int) -> ModuleEntry:
        """Opens a session; the returned entry's ``session_token`` identifies it."""
        entry = self.current(module_id, epoch)
        return self._put(
            entry,
            session_open=True,
            liveness=Liveness.ALIVE,
            session_token=entry.session_token + 1,
            lease_deadline=self._renewed_deadline(),
        )

    def _current_session(self, module_id: str, epoch: int, token: int) -> ModuleEntry:
        entry = self.current(module_id, epoch)
        if token != entry.session_token:
            raise Fenced(f"module {module_id}: this session was replaced by a newer one")
        return entry

    def heartbeat(self, module_id: str, epoch: int, token: int) -> float:
        """Renews the lease; returns the seconds it now has left."""
        entry = self._current_session(module_id, epoch, token)
        if entry.liveness is Liveness.ALIVE and entry.session_open:
            # The common case, every module once a second: only the deadline moves, and
            # the dock index stays as it is. Queued only should it come earlier than the
            # deadline queued (a registration of the same boot on an open session queued
            # its long first lease): a look-up, no heap push, in the common case.
            deadline = self._renewed_deadline()
            self._entries[module_id] = replace(entry, lease_deadline=deadline)
            self._leases.queue(module_id, deadline)
            return self.lease_ttl
        self._put(
            entry,
            liveness=Liveness.ALIVE,
            session_open=True,
            lease_deadline=self._renewed_deadline(),
        )
        return self.lease_ttl

    def report_state(self, module_id: str, epoch: int, token: int, item_state: str) -> ModuleEntry:
        return self._put(self._current_session(module_id, epoch, token), item_state=item_state)

    def close_session(self, module_id: str, epoch: int, token: int) -> ModuleEntry | None:
        """The session dropped: the module is suspect until it returns or its lease ends.

        Only the current session counts: an older stream closing late changes nothing.
        """
        entry = self._entries.get(module_id)
        if (
            entry is None
            or entry.epoch != epoch
            or entry.session_token != token
            or not entry.liveness.occupies_dock
        ):
            return None
        return self._put(entry, session_open=False, liveness=Liveness.SUSPECT)

    def excuse_pause(self, paused: float) -> None:
        """We were not listening for ``paused`` seconds: every lease still running gets
        that time back (heartbeats sent meanwhile were waiting in our socket).

        Only leases that had not run out when the pause began are extended: a module that
        was already past its deadline stays past it (and is lost on the next sweep).
        Both follow from stopping the listening clock for the pause, which touches no
        entry: with thousands of sessions on a busy machine, stalls are frequent, and
        rewriting every lease at each one made the next stall longer.
        """
        if paused > 0:
            self._excused += paused

    def connection_dropped(self, module_id: str) -> ModuleEntry | None:
        """Another connection to the module (OPC UA) dropped: suspect, as for a dropped
        session, until its next heartbeat says otherwise. None when nothing changed."""
        entry = self._entries.get(module_id)
        if entry is None or entry.liveness is not Liveness.ALIVE:
            return None
        return self._put(entry, liveness=Liveness.SUSPECT)

    def lose(self, module_id: str, epoch: int) -> ModuleEntry | None:
        """The module may not stay (its certificate was revoked): LOST now, not when its
        lease runs out. None when that epoch is not on the floor any more."""
        entry = self._entries.get(module_id)
        if entry is None or entry.epoch != epoch or not entry.liveness.occupies_dock:
            return None
        return self._put(
            entry, liveness=Liveness.LOST, session_open=False, item_state="NotAvailable"
        )

    def expire(self) -> list[ModuleEntry]:
        """Marks every module whose lease has run out as LOST; returns those.

        Only leases due by their queued deadline are looked at (``_LeaseQueue``), not
        the floor: a sweep costs the modules due, twice a second, with five thousand
        renewing their leases in between."""
        now = self._listening()
        lost = []
        for module_id in self._leases.due(now):
            entry = self._entries.get(module_id)
            if entry is None or not entry.liveness.occupies_dock:
                continue  # left meanwhile: queued again should it come back
            if entry.lease_deadline > now:  # renewed since it was queued
                self._leases.queue(module_id, entry.lease_deadline)
                continue
            lost.append(
                self._put(
                    entry, liveness=Liveness.LOST, session_open=False, item_state="NotAvailable"
                )
            )
        return lost

    def set_draining(self, module_id: str) -> ModuleEntry:
        """No new work for this module; what it is doing, it finishes."""
        entry = self.get(module_id)
        if not entry.liveness.occupies_dock:
            raise Conflict(f"module {module_id} is {entry.liveness.value}; nothing to drain")
        return self._put(entry, draining=True)

    def set_released(self, module_id: str) -> ModuleEntry:
        return self._put(self.get(module_id), released=True)

    def deregister(self, module_id: str, epoch: int) -> ModuleEntry | None:
        """Removes a module; idempotent. An older epoch is refused."""
        entry = self._entries.get(module_id)
        if entry is None:
            return None
        if epoch != entry.epoch:
            raise Fenced(
                f"module {module_id}: epoch {epoch} is not the current one ({entry.epoch})"
            )
        return self._put(
            entry, liveness=Liveness.GONE, session_open=False, item_state="NotAvailable"
        )

    # -- queries --------------------------------------------------------------------

    def get(self, module_id: str) -> ModuleEntry:
        entry = self._entries.get(module_id)
        if entry is None:
            raise NotFound(f"no module {module_id!r}; `pnp modules` lists the registered ones")
        return entry

    def entries(self) -> list[ModuleEntry]:
        """Every module known since our start, by module id."""
        if len(self._sorted_ids) != len(self._entries):  # modules only ever join
            self._sorted_ids = sorted(self._entries)
        return [self._entries[module_id] for module_id in self._sorted_ids]

    def changed_since(self, mark: int) -> list[ModuleEntry]:
        """The entries changed (but for lease renewals) after ``changes`` was ``mark``,
        oldest change first: every entry for a mark below the first change."""
        moved = []
        for module_id in reversed(self._last_change):  # newest change first
            if self._last_change[module_id] <= mark:
                break
            moved.append(self._entries[module_id])
        moved.reverse()
        return moved

    @property
    def plugged_in(self) -> int:
        """Modules alive or suspect: holding their dock."""
        return len(self._indexed_dock)

    @property
    def on_floor(self) -> int:
        """Modules known since our start and not deregistered (lost ones included)."""
        return len(self._entries) - self._gone

    def awaiting_release(self) -> list[ModuleEntry]:
        """Draining modules, still plugged in, not released yet: once idle, the executor
        releases them. (Not a scan of the floor: the few there are.)"""
        return [self._entries[module_id] for module_id in sorted(self._awaiting_release)]

    def plannable(self) -> list[ModuleDescription]:
        """Modules that may get new work: alive or merely suspect, and not draining."""
        return [
            e.description for e in self.entries() if e.liveness.occupies_dock and not e.draining
        ]

    def lease_expires_at(self, entry: ModuleEntry) -> datetime:
        return self.clock.now() + timedelta(seconds=entry.lease_deadline - self._listening())

    def _listening(self) -> float:
        """The listening clock, on which lease deadlines are kept: the monotonic clock
        less the stalls excused so far. It stands still while we were not listening, so
        a lease runs out after ``lease_ttl`` seconds of listening, however we stalled."""
        return self.clock.monotonic() - self._excused

    def _renewed_deadline(self) -> float:
        return self._listening() + self.lease_ttl

    def _put(self, entry: ModuleEntry, **changes: Unpack[_EntryChanges]) -> ModuleEntry:
        updated = replace(entry, **changes) if changes else entry
        module_id = entry.module_id
        before = self._entries.get(module_id)
        self._entries[module_id] = updated
        self.changes += 1
        self._last_change.pop(module_id, None)
        self._last_change[module_id] = self.changes
        self._gone += (updated.liveness is Liveness.GONE) - (
            before is not None and before.liveness is Liveness.GONE
        )
        if updated.draining and not updated.released and updated.liveness.occupies_dock:
            self._awaiting_release.add(module_id)
        else:
            self._awaiting_release.discard(module_id)
        if updated.liveness.occupies_dock:
            self._leases.queue(module_id, updated.lease_deadline)
        self._index_dock(updated)
        return updated

    def _index_dock(self, entry: ModuleEntry) -> None:
        """Keeps the dock index true for ``entry``, which was just stored."""
        module_id, dock = entry.module_id, entry.description.dock
        before = self._indexed_dock.pop(module_id, None)
        if before is not None and self._occupant.get(before) == module_id:
            del self._occupant[before]  # left it, or moved to another (a new registration)
        if entry.liveness.occupies_dock:
            self._occupant[dock] = module_id
            self._indexed_dock[module_id] = dock


def _same_unit(held: ModuleDescription, other: ModuleDescription) -> bool:
    """The same physical unit in the same place: serial, kind and dock all agree."""
    return (held.serial, held.kind, held.dock) == (other.serial, other.kind, other.dock)


class _LeaseQueue:
    """Modules by lease deadline, soonest first, for the sweep: one live item each.

    A heartbeat renews a deadline without touching the queue (the hot path, thousands a
    second): the queued deadline is then earlier than the real one, never later. When a
    queued deadline comes, the sweep looks at the entry: renewed meanwhile, it is queued
    again at its real deadline (once per lease period per module, not once per
    heartbeat); else it is lost. A deadline set earlier than the one queued (the
    listening clock set back, as only tests do) is queued as well, and the later item
    is skipped when it comes.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._queued: dict[str, float] = {}  # module id -> the deadline it is queued at

    def queue(self, module_id: str, deadline: float) -> None:
        """Queues the module, unless it is queued already at this deadline or earlier."""
        queued = self._queued.get(module_id)
        if queued is None or deadline < queued:
            self._queued[module_id] = deadline
            heapq.heappush(self._heap, (deadline, module_id))

    def due(self, now: float) -> list[str]:
        """Takes out every module queued at a deadline at or before ``now``."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            deadline, module_id = heapq.heappop(self._heap)
            if self._queued.get(module_id) == deadline:
                del self._queued[module_id]
                due.append(module_id)
        return due
