"""The leader lease over time: a standby polling until it may lead, and the leader's
renewals, each on a thread of its own.

Renewal runs on a plain thread, not on the event loop: a loop busy with a burst of
registrations, or a long garbage collection, must not let the lease run out under a
healthy leader. The keeper counts the lease on the process's monotonic clock from the
moment each renewal was sent; when the next renewal could come too late (the database
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
        self.lost: str | None = None
        # Why the last renewal failed, when it failed for a full disk (None otherwise).
        self.disk_full: StorageFull | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def start(self) -> None:
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

    def _run(self) -> None:
        self._heartbeat()
        while not self._stopping.wait(self.settings.renew_every):
            asked = self._monotonic()
            if self.disk_full is None and asked + self.settings.renew_every >= self.valid_until:
                late = asked - (self.valid_until - self.settings.ttl)
                self._lose(
                    f"the lease of term {self.term} ran out: no renewal for {late:.1f} s "
                    "(this process was stalled or the database unreachable)"
                )
                return
            try:
                self.leadership.renew(self.term, self.settings.ttl)
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
            self.valid_until = asked + self.settings.ttl
            self._heartbeat()

    def _heartbeat(self) -> None:
        try:
            self.leadership.heartbeat(self.me, "leader", self.term)
        except Exception as error:
            log.warning("could not record this replica's heartbeat: %s", error)

    def _lose(self, why: str) -> None:
        self.lost = why
        log.error("stepping down: %s", why)
        with contextlib.suppress(Exception):  # best effort: it only informs cluster status
            self.leadership.heartbeat(self.me, "deposed", self.term)
        self._on_lost(why)
