"""What lets the registry hold thousands of modules: nothing done per heartbeat, per
registration or per sweep walks the floor, and each shortcut answers as a walk would.

Leases run out in deadline order from a queue (``_LeaseQueue``) that heartbeats do not
touch; counts of the floor and the modules awaiting release are kept as entries change;
``changed_since`` tells a reader which entries moved since it last looked."""

from __future__ import annotations

import dataclasses

from pnp.orchestrator.clock import ManualClock
from pnp.orchestrator.registry import Liveness, Registry
from tests.domain.test_matching import laser


def registry(clock: ManualClock) -> Registry:
    return Registry(clock, lease_ttl=5, heartbeat_interval=1)


def plug(r: Registry, module_id: str, dock: str) -> int:
    """Registers and opens a session; returns the session's token."""
    r.admit(dataclasses.replace(laser(module_id, 20), dock=dock), f"boot-{module_id}")
    return r.open_session(module_id, 1).session_token


def test_silent_modules_are_lost_in_the_order_their_leases_ran_out():
    clock = ManualClock()
    r = registry(clock)
    for n, module_id in enumerate(["c", "a", "b"]):
        plug(r, module_id, f"D{n}")
        clock.advance(1)
    clock.advance(10)
    assert [e.module_id for e in r.expire()] == ["c", "a", "b"]
    assert r.expire() == []  # each loss is reported once


def test_a_lease_is_not_lost_a_moment_before_its_deadline_nor_kept_at_it():
    clock = ManualClock()
    r = registry(clock)
    plug(r, "l1", "A1")
    clock.advance(4.999)
    assert r.expire() == []
    clock.advance(0.001)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_a_registration_again_on_an_open_session_does_not_keep_a_silent_module_longer():
    # The same boot registers again while its session is open (its client saw a dead
    # channel first), just before its queued deadline: the sweep then finds the long
    # first lease and queues it; a heartbeat on the open session brings the deadline
    # back to one lease, and silence loses the module at that one, not at the long one.
    clock = ManualClock()
    r = registry(clock)
    token = plug(r, "l1", "A1")
    clock.advance(4.9)
    r.heartbeat("l1", 1, token)
    r.admit(dataclasses.replace(laser("l1", 20), dock="A1"), "boot-l1")
    clock.advance(0.1)
    assert r.expire() == []  # queued again, at the long first lease
    clock.advance(0.5)
    r.heartbeat("l1", 1, token)  # deadline: 5.5 + 5
    clock.advance(4.999)
    assert r.expire() == []
    clock.advance(0.001)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_heartbeats_outlive_the_deadline_first_queued_and_silence_then_loses_the_module():
    clock = ManualClock()
    r = registry(clock)
    token = plug(r, "l1", "A1")
    for _ in range(20):  # far past the first deadline, renewed all along
        clock.advance(1)
        r.heartbeat("l1", 1, token)
        assert r.expire() == []
    clock.advance(4.5)
    assert r.expire() == []
    clock.advance(0.5)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_a_module_lost_or_gone_and_back_is_swept_again():
    clock = ManualClock()
    r = registry(clock)
    plug(r, "l1", "A1")
    clock.advance(6)
    assert [e.module_id for e in r.expire()] == ["l1"]
    r.admit(laser("l1", 20), "boot-l1")  # back, same boot
    r.deregister("l1", 1)
    r.admit(laser("l1", 20), "boot-new")  # gone, then a new boot
    r.open_session("l1", 2)
    clock.advance(6)
    assert [(e.module_id, e.epoch) for e in r.expire()] == [("l1", 2)]


def test_the_floor_counts_follow_every_change():
    clock = ManualClock()
    r = registry(clock)
    tokens = {m: plug(r, m, f"D{n}") for n, m in enumerate(["a", "b", "c", "d"])}

    def walked() -> tuple[int, int]:
        entries = r.entries()
        return (
            sum(e.liveness.occupies_dock for e in entries),
            sum(e.liveness is not Liveness.GONE for e in entries),
        )

    assert (r.plugged_in, r.on_floor) == walked() == (4, 4)
    r.close_session("a", 1, tokens["a"])  # suspect: still plugged in
    r.deregister("b", 1)
    assert (r.plugged_in, r.on_floor) == walked() == (3, 3)
    clock.advance(2)
    for m in ("c", "d"):
        r.heartbeat(m, 1, tokens[m])
    clock.advance(4)
    r.expire()  # a's lease ran out: lost, still on the floor
    assert (r.plugged_in, r.on_floor) == walked() == (2, 3)
    r.admit(laser("b", 20), "boot-b2")  # back on the floor after leaving (dock A1)
    assert (r.plugged_in, r.on_floor) == walked() == (3, 4)


def test_only_drained_modules_still_plugged_in_await_their_release():
    clock = ManualClock()
    r = registry(clock)
    for n, m in enumerate(["a", "b", "c"]):
        plug(r, m, f"D{n}")
    r.set_draining("c")
    r.set_draining("a")
    assert [e.module_id for e in r.awaiting_release()] == ["a", "c"]
    r.set_released("a")
    assert [e.module_id for e in r.awaiting_release()] == ["c"]
    r.lose("c", 1)
    assert r.awaiting_release() == []


def test_changed_since_names_what_moved_after_a_mark_and_not_lease_renewals():
    clock = ManualClock()
    r = registry(clock)
    tokens = {m: plug(r, m, f"D{n}") for n, m in enumerate(["a", "b", "c"])}
    assert [e.module_id for e in r.changed_since(-1)] == ["a", "b", "c"]  # everything
    mark = r.changes
    r.heartbeat("a", 1, tokens["a"])  # a renewal: not a change
    assert r.changed_since(mark) == []
    r.set_draining("c")
    r.close_session("a", 1, tokens["a"])
    moved = r.changed_since(mark)
    assert [(e.module_id, e.liveness, e.draining) for e in moved] == [
        ("c", Liveness.ALIVE, True),
        ("a", Liveness.SUSPECT, False),
    ]
    assert r.changed_since(r.changes) == []
