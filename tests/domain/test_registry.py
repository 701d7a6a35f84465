"""The registry as a pure state machine over a manual clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pnp.orchestrator.clock import ManualClock
from pnp.orchestrator.errors import BadInput, Conflict, Fenced, LeaseExpired, NotFound
from pnp.orchestrator.registry import Liveness, PauseDetector, PauseStats, Registry
from pnp.orchestrator.registry.leases import FIRST_SESSION_LEASES
from tests.domain.test_matching import laser


def registry(clock=None, **kwargs) -> Registry:
    return Registry(clock or ManualClock(), lease_ttl=5, heartbeat_interval=1, **kwargs)


def test_epochs_rise_with_each_new_boot_and_stay_for_a_retry():
    r = registry()
    assert r.admit(laser("l1", 20), "boot-a").epoch == 1
    assert r.admit(laser("l1", 20), "boot-a").epoch == 1
    assert r.admit(laser("l1", 20), "boot-b").epoch == 2


def test_known_epochs_from_the_store_continue_the_count():
    r = registry(known_epochs={"l1": (7, "old-boot")})
    assert r.admit(laser("l1", 20), "new-boot").epoch == 8


def test_a_stale_epoch_is_fenced():
    r = registry()
    r.admit(laser("l1", 20), "boot-a")
    r.admit(laser("l1", 20), "boot-b")
    with pytest.raises(Fenced, match="epoch 1 is stale"):
        r.heartbeat("l1", 1, token=0)
    with pytest.raises(Fenced):
        r.deregister("l1", 1)


def test_deregistration_needs_the_current_epoch_not_a_future_one():
    r = registry()
    r.admit(laser("l1", 20), "boot-a")
    with pytest.raises(Fenced, match="epoch 999 is not the current one"):
        r.deregister("l1", 999)
    assert r.get("l1").liveness is Liveness.ALIVE


def test_an_admission_changes_nothing_until_it_is_recorded():
    r = registry()
    pending = r.admission(laser("l1", 20), "boot-a")
    assert pending.epoch == 1
    assert r.entries() == []
    r.record(pending)
    assert r.get("l1").epoch == 1


def test_an_admission_overtaken_by_a_newer_epoch_is_fenced():
    r = registry()
    old = r.admission(laser("l1", 20), "boot-a")
    r.record(r.admission(laser("l1", 20), "boot-a"))
    r.record(r.admission(laser("l1", 20), "boot-b"))  # epoch 2
    with pytest.raises(Fenced, match="overtaken"):
        r.record(old)
    assert r.get("l1").epoch == 2


def test_only_the_newest_session_speaks_for_a_module():
    r = registry()
    r.admit(laser("l1", 20), "boot")
    old = r.open_session("l1", 1).session_token
    new = r.open_session("l1", 1).session_token
    assert r.close_session("l1", 1, old) is None  # the old stream closing late
    assert r.get("l1").liveness is Liveness.ALIVE and r.get("l1").session_open
    with pytest.raises(Fenced, match="replaced by a newer one"):
        r.heartbeat("l1", 1, old)
    r.heartbeat("l1", 1, new)


def test_heartbeats_keep_the_lease_and_silence_loses_it():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")
    token = r.open_session("l1", 1).session_token
    for _ in range(10):
        clock.advance(4)
        r.heartbeat("l1", 1, token)
        assert r.expire() == []
    clock.advance(5)
    assert [e.module_id for e in r.expire()] == ["l1"]
    assert r.get("l1").liveness is Liveness.LOST
    assert r.plannable() == []
    with pytest.raises(LeaseExpired, match="lease expired"):
        r.heartbeat("l1", 1, token)
    # Registering again with the same boot restores it, with the same epoch.
    assert r.admit(laser("l1", 20), "boot").epoch == 1
    assert r.get("l1").liveness is Liveness.ALIVE


def test_a_closed_session_is_suspect_but_still_plannable_until_the_lease_ends():
    r = registry()
    r.admit(laser("l1", 20), "boot")
    token = r.open_session("l1", 1).session_token
    r.close_session("l1", 1, token)
    assert r.get("l1").liveness is Liveness.SUSPECT
    assert [m.module_id for m in r.plannable()] == ["l1"]


def test_one_module_per_dock():
    r = registry()
    r.admit(laser("l1", 20), "boot")
    with pytest.raises(Conflict, match="dock A1 is taken by module l1"):
        r.admit(laser("l2", 20), "boot")
    r.deregister("l1", 1)
    assert r.admit(laser("l2", 20), "boot").epoch == 1


def test_unknown_module_is_not_found():
    with pytest.raises(NotFound):
        registry().heartbeat("ghost", 1, 0)


def test_an_empty_boot_id_is_bad_input():
    with pytest.raises(BadInput):
        registry().admit(laser("l1", 20), "")


# -- our own stalls are not the modules' fault -----------------------------------------


def test_a_stall_of_ours_does_not_expire_a_lease_that_heartbeats_would_have_renewed():
    clock = ManualClock()
    r = registry(clock)  # lease 5 s
    r.admit(laser("l1", 20), "boot")
    token = r.open_session("l1", 1).session_token
    clock.advance(4)
    r.heartbeat("l1", 1, token)  # lease until 9 s from the start
    clock.advance(7)  # we were stalled for the last 6 s: heartbeats queued unread
    r.excuse_pause(6)
    assert r.expire() == []
    r.heartbeat("l1", 1, token)  # the queued heartbeat is read after the stall
    assert r.get("l1").liveness is Liveness.ALIVE


def test_a_module_silent_before_our_stall_is_still_lost_later_by_no_more_than_the_stall():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")  # lease until 5 s; no heartbeat ever
    r.open_session("l1", 1)  # a running lease (the first one, sessionless, is longer)
    clock.advance(4)
    clock.advance(2)  # stalled from 4 s to 6 s
    r.excuse_pause(2)
    assert r.expire() == []  # its lease had 1 s left when we stopped listening
    clock.advance(0.99)
    assert r.expire() == []
    clock.advance(0.01)  # 5 s + the 2 s stall
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_a_lease_already_run_out_before_our_stall_is_not_revived():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")
    r.open_session("l1", 1)  # a running lease (the first one, sessionless, is longer)
    clock.advance(6)  # expired at 5 s, before the stall from 5.5 s
    r.excuse_pause(0.5)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_lost_and_gone_modules_are_not_touched_by_an_excused_stall():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")
    r.open_session("l1", 1)  # a running lease (the first one, sessionless, is longer)
    clock.advance(6)
    r.expire()
    before = r.get("l1")
    r.excuse_pause(10)
    assert r.get("l1") == before


def test_an_excused_stall_shows_in_the_lease_expiry_reported_to_operators():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")  # lease until 5 s
    r.open_session("l1", 1)  # a running lease (the first one, sessionless, is longer)
    clock.advance(3)  # stalled from 2 s to 3 s
    r.excuse_pause(1)
    assert r.lease_expires_at(r.get("l1")) == clock.now() + timedelta(seconds=3)


def test_stalls_excused_one_after_another_add_up():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")  # lease until 5 s
    r.open_session("l1", 1)  # a running lease (the first one, sessionless, is longer)
    for _ in range(4):  # four stalls of 1 s each, from 1 s to 9 s
        clock.advance(1)
        clock.advance(1)
        r.excuse_pause(1)
    assert r.expire() == []  # 4 s of listening: 1 s left
    clock.advance(1)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_a_lease_runs_from_when_the_registration_is_recorded_not_admitted():
    clock = ManualClock()
    r = registry(clock)  # lease 5 s
    entry = r.admission(laser("l1", 20), "boot")
    clock.advance(16)  # storing the registration took longer than a first lease
    r.record(entry)
    assert r.expire() == []
    clock.advance(5 * FIRST_SESSION_LEASES)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_until_its_session_opens_a_registration_holds_a_longer_first_lease():
    """After a takeover, the call opening a module's session waits behind the whole
    herd's registrations: a lease period is not held against it, three are."""
    clock = ManualClock()
    r = registry(clock)  # lease 5 s, a first lease of 15 s
    r.admit(laser("l1", 20), "boot")
    clock.advance(14.99)
    assert r.expire() == []
    clock.advance(0.01)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_a_session_opened_or_a_heartbeat_brings_the_lease_back_to_one_period():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")
    token = r.open_session("l1", 1).session_token
    clock.advance(5)
    assert [e.module_id for e in r.expire()] == ["l1"]
    r.admit(laser("l1", 20), "boot")  # back, the same boot: a first lease again
    clock.advance(14)
    assert r.expire() == []
    r.admit(laser("l1", 20), "boot")  # a retry while its old session is still open
    r.heartbeat("l1", 1, token)  # which renews it for one period
    clock.advance(5)
    assert [e.module_id for e in r.expire()] == ["l1"]


def test_the_pause_detector_reports_only_lateness_beyond_its_tolerance():
    clock = ManualClock()
    detector = PauseDetector(clock, interval=0.05, tolerance=0.05)
    assert detector.arm() == 0.05
    clock.advance(0.09)  # 40 ms late: scheduling noise
    assert detector.woke() == 0.0
    detector.arm()
    clock.advance(2.05)  # 2 s late: a stall
    assert detector.woke() == pytest.approx(2.0)
    assert detector.stats == PauseStats(
        pauses=1, longest=pytest.approx(2.0), total=pytest.approx(2.0)
    )
    with pytest.raises(RuntimeError):
        detector.woke()  # every wake-up needs its arm()


def test_a_dropped_opcua_connection_makes_an_alive_module_suspect_until_its_next_heartbeat():
    r = registry()
    r.admit(laser("l1", 20), "boot")
    token = r.open_session("l1", 1).session_token
    assert r.connection_dropped("l1").liveness is Liveness.SUSPECT
    assert r.connection_dropped("l1") is None  # already suspect: nothing new
    assert [m.module_id for m in r.plannable()] == ["l1"]
    r.heartbeat("l1", 1, token)
    assert r.get("l1").liveness is Liveness.ALIVE


def test_a_dropped_opcua_connection_changes_nothing_for_a_lost_or_unknown_module():
    clock = ManualClock()
    r = registry(clock)
    r.admit(laser("l1", 20), "boot")
    r.open_session("l1", 1)  # a running lease (the first one, sessionless, is longer)
    clock.advance(6)
    r.expire()
    assert r.connection_dropped("l1") is None
    assert r.get("l1").liveness is Liveness.LOST
    assert r.connection_dropped("ghost") is None


def test_a_revoked_module_is_lost_at_once_and_only_its_current_epoch():
    r = registry()
    r.admit(laser("l1", 20), "boot-a")
    assert r.lose("l1", epoch=2) is None  # not that registration: nothing changes
    lost = r.lose("l1", epoch=1)
    assert lost is not None and lost.liveness is Liveness.LOST and not lost.session_open
    assert r.lose("l1", epoch=1) is None  # already off the floor
    with pytest.raises(LeaseExpired):
        r.heartbeat("l1", 1, token=0)
