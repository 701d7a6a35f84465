"""The leader keeps its lease while it is busy: renewals run on a thread of their own, over
connections of their own, and on PostgreSQL they do not queue behind the leader's own
open write transactions. A renewal that comes late says so in the log."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time

import pytest
from sqlalchemy import insert

from pnp.orchestrator.store import Store, schema
from pnp.orchestrator.store.leadership import Replica
from pnp.orchestrator.store.lease_keeper import LeaseKeeper, LeaseSettings
from tests.store.test_leadership import T0, replica

SHORT = LeaseSettings(ttl=1.0, renew_every=0.2)
# Renewals that span more than one TTL: sent renew_every apart, so this many of them
# cannot all fall within one lease.
RENEWALS_PAST_A_TTL = math.ceil(SHORT.ttl / SHORT.renew_every) + 2


def _keeper(store: Store, me: Replica, lost: list[str]) -> LeaseKeeper:
    asked = time.monotonic()
    term = store.leadership.try_acquire(me, SHORT.ttl, dead_local_holder_ok=False)
    assert isinstance(term, int)
    keeper = LeaseKeeper(store.leadership, me, term, SHORT, lost.append, acquired_at=asked)
    store.fence.arm(term, lambda _deposed: None, keeper.lapsed)
    return keeper


async def test_a_leader_keeps_its_lease_while_its_event_loop_is_busy_past_the_ttl(store):
    me, lost = replica("busy"), []
    keeper = _keeper(store, me, lost)
    keeper.start()
    try:
        # CPU-bound work on the event loop, never yielding, until the keeper has renewed
        # across more than one TTL (or lost the lease: then the test fails below).
        target = keeper.renewals + RENEWALS_PAST_A_TTL
        while keeper.renewals < target and keeper.lost is None:
            sum(range(1000))
        assert (keeper.lost, lost, keeper.lapsed()) == (None, [], None)
        lease = await asyncio.to_thread(store.leadership.read)
        assert (lease.holder, lease.term, lease.live) == (me, keeper.term, True)
    finally:
        keeper.stop()


@pytest.mark.servers
def test_a_renewal_does_not_wait_for_an_open_write_of_the_leader(postgres_url):
    """A writer starved of CPU keeps its transaction (and its lock on the lease row) open
    for long; the leader's renewals go on meanwhile, and the write still commits."""
    store = Store.open(postgres_url)
    me, lost = replica("writing"), []
    keeper = _keeper(store, me, lost)
    writing, may_commit = threading.Event(), threading.Event()

    def slow_write() -> None:
        with store.fence.begin() as connection:  # reads the lease row's term, locked
            connection.execute(
                insert(schema.events).values(
                    sequence=1, time=T0.isoformat(), kind="k", subject="s", message="slow"
                )
            )
            writing.set()
            may_commit.wait()

    writer = threading.Thread(target=slow_write)
    writer.start()
    keeper.start()
    try:
        assert writing.wait(30)
        # A renewal straight away, from another connection (it would hit its statement
        # timeout, and fail, if it waited for the open write)...
        store.leadership.renew(keeper.term, SHORT.ttl)
        # ...and the keeper's own, across more than one TTL, the write still open.
        target = keeper.renewals + RENEWALS_PAST_A_TTL
        while keeper.renewals < target and keeper.lost is None:
            threading.Event().wait(SHORT.renew_every)
        assert (keeper.lost, lost, keeper.lapsed()) == (None, [], None)
    finally:
        may_commit.set()
        writer.join()
        keeper.stop()
    try:
        assert [e.message for e in store.events.after(0)] == ["slow"]
    finally:
        store.close()


class _SlowRenewals:
    """A lease whose renewals take ``takes`` seconds of the keeper's (fake) clock each."""

    def __init__(self, clock: list[float], takes: float) -> None:
        self.clock, self.takes = clock, takes
        self.renewed = threading.Event()

    def on_connections_of_its_own(self) -> _SlowRenewals:
        return self

    def renew(self, term: int, ttl: float) -> None:
        self.clock[0] += self.takes
        self.renewed.set()

    def heartbeat(self, me: Replica, state: str, term: int) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_renewal_that_lands_with_less_than_half_the_lease_left_is_logged(caplog):
    clock = [0.0]
    slow = _SlowRenewals(clock, takes=0.6 * SHORT.ttl)
    keeper = LeaseKeeper(
        slow,  # type: ignore[arg-type]
        replica("slow"),
        7,
        SHORT,
        lambda _why: None,
        acquired_at=0.0,
        monotonic=lambda: clock[0],
    )
    with caplog.at_level(logging.WARNING, logger="pnp.orchestrator.store.lease_keeper"):
        keeper.start()
        try:
            assert slow.renewed.wait(30)
        finally:
            keeper.stop()
    [late] = [r.getMessage() for r in caplog.records if "renewed late" in r.getMessage()][:1]
    assert "term 7" in late and "0.4 s of its 1.0 s were left" in late
