"""The leader lease over time: a standby polling until it may lead, and the leader's
renewals, each on a thread of its own.

Renewal runs on a plain thread, not on the event loop: a loop busy with a burst of
registrations, or a long garbage collection, must not let the lease run out under a
healthy leader. (A thread gets the interpreter from a loop running Python code within
the switch interval, 5 ms; only one long C call holding it, such as a full collection,
delays it, which is why the runtime freezes what lives for good out of the collector's
sight.) The renewals go over connections of their own, never waiting for one the
store's writers hold, and on PostgreSQL they do not wait for the writers' open
transactions either (store/leadership.py). They run at a fixed rate, each
``renew_every`` after the previous one was sent, however long that one took; a renewal
that finds the lease more than half spent is logged as late, with by how much, so a
starved leader shows in its log before it has to step down.

The keeper counts the lease on the process's monotonic clock from the moment each
renewal was sent; when the next renewal could come too late (the database
is unreachable, or the whole process was frozen and has just woken), it declares the
lease lost without asking anyone. A renewal refused because the term moved on
(``Deposed``) is lost too. Either way ``on_lost`` is called once, from the keeper's
thread.

A full disk under the database is not a loss: no one can take the lease over while
the disk is full (a takeover is a write to the same database), so the leader keeps
trying to renew and does not step down. Once its lease has run out by its own clock,
its writes are refused as ``StorageFull`` (UNAVAILABLE, retryable) rather than as
``Deposed``; the first renewal after space returns restores them, or, if a standby
took the lease meanwhile, is refused with ``Deposed`` and the leader steps down as
usual. Every write still checks the term inside its transaction (store/fencing.py),
and no module is commanded without a stored attempt first, so two leaders never act.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pnp.orchestrator.errors import Deposed, StorageFull
from pnp.orchestrator.store.disk_full import storage_full
from pnp.orchestrator.store.leadership import Leadership, Lease, Replica

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseSettings:
    # A standby takes over within about ttl + renew_every after the leader's last
    # renewal; the leader renews renew_every and gives up once ttl has passed without
    # one (counted from when it asked).
    ttl: float = 5.0
    renew_every: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.renew_every < self.ttl / 2:
            raise ValueError("need 0 < lease renew interval < lease TTL / 2")


def wait_to_lead(
    leadership: Leadership,
    me: Replica,
    settings: LeaseSettings,
    stop: threading.Event,
    on_seen: Callable[[Lease], None] = lambda _lease: None,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[int, float] | None:
    """Blocks until ``me`` holds the lease or ``stop`` is set (None). Returns the term and
    the monotonic time just before the successful try (where the lease's life starts,
    for ``LeaseKeeper``).

    The first try counts a holder that is a dead process on this host as gone (a
    restart after a crash); later tries wait for the lease to expire, as they would for
    a holder on another machine."""
    first = True
    while not stop.is_set():
        try:
            asked = monotonic()
            got = leadership.try_acquire(me, settings.ttl, dead_local_holder_ok=first)
            if isinstance(got, int):
                return got, asked
            on_seen(got)
            leadership.heartbeat(me, "standby", 0)
        except Exception as error:  # the database is down: keep trying, say so
            log.warning("standby: cannot reach the database: %s", error)
        first = False
        stop.wait(settings.renew_every)
    return None


class LeaseKeeper:
    def __init__(
        self,
        leadership: Leadership,
        me: Replica,
        term: int,
        settings: LeaseSettings,
        on_lost: Callable[[str], None],
        *,
        acquired_at: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``acquired_at``: the monotonic time just before the lease was asked for."""
        self.leadership = leadership
        self.me = me
        self.term = term
        self.settings = settings
        self._on_lost = on_lost
        self._monotonic = monotonic
        self.valid_until = acquired_at + settings.ttl
        self.renewals = 0  # how many succeeded
        self.lost: str | None = None
        # Why the last renewal failed, when it failed for a full disk (None otherwise).
        self.disk_full: StorageFull | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._own: Leadership | None = None  # the lease on connections of its own

    def start(self) -> None:
        self._own = self.leadership.on_connections_of_its_own()
        self._thread.start()

    def lapsed(self) -> str | None:
        """Why the lease has run out by this process's clock, or None while it holds;
        ``StorageFull`` when it ran out only because the disk is full (see above)."""
        if self.lost is not None:
            return self.lost
        late = self._monotonic() - self.valid_until
        if late <= 0:
            return None
        full = self.disk_full
        if full is not None:
            raise StorageFull(f"{full.message} (the leader lease awaits its renewal)")
        return f"the lease of term {self.term} ran out {late:.1f} s ago (this process was stalled)"

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._own is not None and not self._thread.is_alive():
            self._own.close()

    def _run(self) -> None:
        own = self._own
        assert own is not None, "start() first"
        self._heartbeat(own)
        asked = self.valid_until - self.settings.ttl
        while not self._stopping.wait(
            max(0.0, asked + self.settings.renew_every - self._monotonic())
        ):
            asked = self._monotonic()
            if self.disk_full is None and asked + self.settings.renew_every >= self.valid_until:
                late = asked - (self.valid_until - self.settings.ttl)
                self._lose(
                    f"the lease of term {self.term} ran out: no renewal for {late:.1f} s "
                    "(this process was stalled or the database unreachable)"
                )
                return
            try:
                own.renew(self.term, self.settings.ttl)
            except Deposed as deposed:
                self._lose(deposed.message)
                return
            except Exception as error:
                full = storage_full(error, str(self.leadership.engine.url.database or ""))
                if full is not None and self.disk_full is None:
                    log.warning("leader lease kept through a full disk: %s", full.message)
                elif full is None:
                    log.warning("could not renew the leader lease (term %d): %s", self.term, error)
                self.disk_full = full
                continue
            if self.disk_full is not None:
                log.warning("leader lease renewed: the database's disk has space again")
            self.disk_full = None
            self._note_if_late(left=self.valid_until - self._monotonic())
            self.valid_until = asked + self.settings.ttl
            self.renewals += 1
            self._heartbeat(own)

    def _note_if_late(self, left: float) -> None:
        """A renewal that lands with less than half the lease left was late: say so."""
        ttl = self.settings.ttl
        if left < ttl / 2:
            log.warning(
                "leader lease renewed late (term %d): %.1f s of its %.1f s were left; this "
                "process or the database is slow, and at 0 s it steps down",
                self.term,
                max(0.0, left),
                ttl,
            )

    def _heartbeat(self, own: Leadership) -> None:
        try:
            own.heartbeat(self.me, "leader", self.term)
        except Exception as error:
            log.warning("could not record this replica's heartbeat: %s", error)

    def _lose(self, why: str) -> None:
        self.lost = why
        log.error("stepping down: %s", why)
        with contextlib.suppress(Exception):  # best effort: it only informs cluster status
            (self._own or self.leadership).heartbeat(self.me, "deposed", self.term)
        self._on_lost(why)
