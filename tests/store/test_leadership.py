"""One writer, always (on SQLite and PostgreSQL alike): the lease is held by one replica at
a time, the term only rises, and every write of a deposed leader is refused inside its
own transaction, leaving nothing behind."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.events import Event
from pnp.orchestrator.errors import Deposed
from pnp.orchestrator.store import Store, schema
from pnp.orchestrator.store.leadership import Lease, Replica
from pnp.orchestrator.store.telemetry import TelemetrySample

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TTL = 30.0  # long: these tests never wait a lease out, they release or depose


def replica(name: str, pid: int = 4242, host: str = "floor-1") -> Replica:
    return Replica(name, host, pid, f"{name}:50051")


def lead(store: Store, me: Replica) -> int:
    term = store.leadership.try_acquire(me, TTL, dead_local_holder_ok=False)
    assert isinstance(term, int), f"{me.replica_id} could not lead: {term}"
    return term


def test_the_first_replica_leads_and_a_second_sees_who_holds_the_lease(store):
    assert lead(store, replica("a")) == 1
    seen = store.leadership.try_acquire(replica("b"), TTL, dead_local_holder_ok=False)
    assert isinstance(seen, Lease)
    assert (seen.term, seen.holder, seen.live) == (1, replica("a"), True)
    assert 0 < seen.remaining <= TTL


def test_the_term_rises_with_every_takeover(store):
    first = lead(store, replica("a"))
    store.leadership.release(first)
    second = lead(store, replica("b"))
    store.leadership.release(second)
    assert (first, second, lead(store, replica("a"))) == (1, 2, 3)


def test_a_lease_held_by_a_dead_process_on_this_host_is_taken_at_start(store):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    here = Replica.this_process("me:1")
    crashed = Replica("crashed", here.host, int(finished.stdout), "crashed:1")
    lead(store, crashed)
    assert store.leadership.try_acquire(here, TTL, dead_local_holder_ok=True) == 2
    # A live holder (this very test process, as another replica) is never taken over.
    alive = Replica("alive", here.host, here.pid, "alive:1")
    assert isinstance(store.leadership.try_acquire(alive, TTL, dead_local_holder_ok=True), Lease)


def _writes(store: Store):
    """Every kind of write the factory makes, each as a call."""
    attempt = Attempt(
        execution_id="x1", operation_id="ord-00001/s0", order_id="ord-00001",
        module_id="m1", epoch=1, capability="cutting.laser", parameters={}, units=1,
        state=AttemptState.STARTING, started_at=T0,
    )  # fmt: skip
    return {
        "add_order": lambda: store.add_order(
            request_id="r9",
            source="a.yaml",
            recipe_yaml="x",
            state="AllowedToStart",
            submitted_at=T0,
        ),
        "set_order_state": lambda: store.set_order_state("ord-00001", "Completed"),
        "save_module": lambda: store.save_module(
            module_id="m2", epoch=1, boot_id="b", descriptor_json="{}", registered_at=T0
        ),
        "end_lease": lambda: store.end_lease("m1", 1, T0, "lost"),
        "attempts.add": lambda: store.attempts.add(attempt),
        "attempts.update": lambda: store.attempts.update(attempt),
        "events.append": lambda: store.events.append([Event(1, T0, "k", "s", "m")]),
        "plans.add": lambda: store.plans.add(1, T0, "OPTIMAL", "{}"),
        "telemetry.add": lambda: store.telemetry.add([TelemetrySample("x1", "m1", "P", T0, 1)]),
    }


WRITES = list(_writes(None))


@pytest.mark.parametrize("write", WRITES)
def test_every_write_of_a_deposed_leader_is_refused_and_leaves_nothing(database, write):
    old = Store.open(database)
    new = Store.open(database)
    try:
        told: list[Deposed] = []
        old.fence.arm(lead(old, replica("old")), told.append)
        old.add_order(request_id="r1", source="a.yaml", recipe_yaml="x",
                      state="AllowedToStart", submitted_at=T0)  # fmt: skip
        # The old leader is cut off (its lease ran out: here, given back) and a new
        # one takes over with a higher term.
        old.leadership.release(old.fence.term)
        new.fence.arm(lead(new, replica("new")), lambda _deposed: None)
        before = _snapshot(new)

        with pytest.raises(Deposed, match="deposed: it led at term 1, the database is at term 2"):
            _writes(old)[write]()
        assert len(told) == 1 and old.leader_term == 1
        assert _snapshot(new) == before
        _writes(new)[write]()  # the new leader writes the same thing without trouble
    finally:
        old.close()
        new.close()


def _snapshot(store: Store):
    return (
        store.orders(), store.modules(), store.leases(), store.attempts.all(),
        store.events.last_sequence(), store.plans.versions(),
        store.telemetry.of_executions(["x1"]),
    )  # fmt: skip


def test_a_deposed_leader_cannot_renew_its_lease(store):
    term = lead(store, replica("a"))
    store.leadership.renew(term, TTL)
    store.leadership.release(term)
    lead(store, replica("b"))
    with pytest.raises(Deposed):
        store.leadership.renew(term, TTL)


def test_a_takeover_waits_for_a_write_of_the_old_leader_in_progress(database):
    """The old term's write that began first commits first; the takeover lands after it,
    and the old leader's next write is refused."""
    old, new = Store.open(database), Store.open(database)
    try:
        old.fence.arm(lead(old, replica("old")), lambda _deposed: None)
        old.leadership.release(old.fence.term)  # its lease is over, but a write is under way
        writing, may_commit = threading.Event(), threading.Event()

        def slow_write() -> None:
            with old.fence.begin() as connection:
                connection.execute(
                    insert(schema.events).values(
                        sequence=1, time=T0.isoformat(), kind="k", subject="s", message="old"
                    )
                )
                writing.set()
                may_commit.wait(10)

        writer = threading.Thread(target=slow_write)
        writer.start()
        assert writing.wait(10)
        taking = threading.Thread(
            target=lambda: setattr(
                taking,
                "term",
                new.leadership.try_acquire(replica("new"), TTL, dead_local_holder_ok=False),
            )
        )
        taking.start()
        taking.join(0.3)
        may_commit.set()
        writer.join(10)
        taking.join(10)
        # Either the takeover waited for the write, or (SQLite: the write lock was busy
        # for longer than it waits) it gave up for now and takes over on the next try.
        term = taking.term
        if not isinstance(term, int):
            term = new.leadership.try_acquire(replica("new"), TTL, dead_local_holder_ok=False)
        assert term == 2
        assert [e.message for e in new.events.after(0)] == ["old"]
        with pytest.raises(Deposed):
            old.events.append([Event(2, T0, "k", "s", "late")])
    finally:
        old.close()
        new.close()


def test_replicas_report_their_state_with_a_heartbeat(store):
    a, b = replica("a"), replica("b", pid=4343)
    term = lead(store, a)
    store.leadership.heartbeat(a, "leader", term)
    store.leadership.heartbeat(b, "standby", 0)
    store.leadership.heartbeat(b, "standby", 0)
    status = store.leadership.status()
    assert status.lease.holder == a and status.lease.term == term
    assert [(r.replica, r.state, r.term) for r in status.replicas] == [
        (a, "leader", 1),
        (b, "standby", 0),
    ]
    assert all(0 <= r.seen_ago < 5 for r in status.replicas)
