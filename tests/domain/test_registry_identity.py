"""Who may take a module id over while its lease lives, and what a drain outlives."""

from __future__ import annotations

import dataclasses

import pytest

from pnp.orchestrator.clock import ManualClock
from pnp.orchestrator.errors import AlreadyExists
from pnp.orchestrator.registry import Liveness
from tests.domain.test_matching import laser
from tests.domain.test_registry import registry

WELDER = dataclasses.replace(laser("welding-cell-a2", 20), dock="A2", kind="welding-cell")
WRONG_ID = dataclasses.replace(WELDER, kind="cnc-mill", dock="B3", serial="SIM-mill")


def live(r, description, boot):
    entry = r.admit(description, boot)
    return r.open_session(entry.module_id, entry.epoch)


def test_another_unit_with_a_live_modules_id_is_refused_naming_the_holder_and_its_dock():
    r = registry()
    held = live(r, WELDER, "boot-welder")
    with pytest.raises(AlreadyExists) as refused:
        r.admission(WRONG_ID, "boot-mill")
    assert str(refused.value.message) == (
        "welding-cell-a2 is held by a live welding-cell on dock A2 (serial s); drain and "
        "deregister it, or register with --replace"
    )
    assert r.current("welding-cell-a2", held.epoch) == held  # the welder keeps working


@pytest.mark.parametrize(
    "change", [{"serial": "other"}, {"kind": "cnc-mill"}, {"dock": "A3"}], ids=str
)
def test_any_of_serial_kind_or_dock_differing_is_another_unit(change):
    r = registry()
    live(r, WELDER, "boot-1")
    with pytest.raises(AlreadyExists):
        r.admission(dataclasses.replace(WELDER, **change), "boot-2")


def test_a_second_process_of_the_same_unit_beside_a_live_session_is_refused():
    r = registry()
    live(r, WELDER, "boot-1")
    with pytest.raises(AlreadyExists, match="held by a live welding-cell on dock A2"):
        r.admission(WELDER, "boot-2")


def test_a_new_boot_of_the_same_unit_takes_over_once_its_old_session_dropped():
    r = registry()
    old = live(r, WELDER, "boot-1")
    r.close_session(old.module_id, old.epoch, old.session_token)  # it crashed
    assert r.admit(WELDER, "boot-2").epoch == old.epoch + 1


def test_a_retry_of_the_same_boot_is_never_refused():
    r = registry()
    held = live(r, WELDER, "boot-1")
    assert r.admit(WELDER, "boot-1").epoch == held.epoch


def test_replace_takes_the_id_over_deliberately():
    r = registry()
    old = live(r, WELDER, "boot-welder")
    swapped = r.record(r.admission(WRONG_ID, "boot-mill", replace=True))
    assert swapped.epoch == old.epoch + 1
    assert r.get("welding-cell-a2").description.dock == "B3"


def test_after_the_lease_expired_another_unit_may_take_the_id():
    clock = ManualClock()
    r = registry(clock)
    live(r, WELDER, "boot-welder")
    clock.advance(6)  # past the 5 s lease, before the sweeper ran
    assert r.admit(WRONG_ID, "boot-mill").description.kind == "cnc-mill"


def test_after_deregistration_another_unit_may_take_the_id():
    r = registry()
    held = live(r, WELDER, "boot-welder")
    r.set_draining(held.module_id)
    r.deregister(held.module_id, held.epoch)
    entry = r.admit(WRONG_ID, "boot-mill")
    assert entry.liveness is Liveness.ALIVE and not entry.draining


def test_a_draining_module_that_registers_again_stays_draining_and_released():
    r = registry()
    held = live(r, WELDER, "boot-1")
    r.set_draining(held.module_id)
    r.set_released(held.module_id)
    again = r.admit(WELDER, "boot-1")  # a reconnect after a blip: the same boot
    assert (again.draining, again.released) == (True, True)
    assert WELDER not in r.plannable()
    r.close_session(again.module_id, again.epoch, again.session_token)
    assert r.admit(WELDER, "boot-2").draining  # a reboot of the same unit: still drained


def test_a_drain_from_before_a_restart_holds_when_the_module_registers_again():
    r = registry(known_epochs={"welding-cell-a2": (3, "boot-1")}, known_drains={"welding-cell-a2"})
    assert r.admit(WELDER, "boot-1").draining
    assert (
        not registry(known_epochs={"welding-cell-a2": (3, "boot-1")})
        .admit(WELDER, "boot-1")
        .draining
    )


def test_a_release_from_before_a_restart_holds_for_the_same_boot_only():
    """The same boot comes back released; a new boot of it is drained, and is released
    again (told so) once the executor finds it idle."""
    restarted = dict(
        known_epochs={"welding-cell-a2": (3, "boot-1")},
        known_drains={"welding-cell-a2"},
        known_releases={"welding-cell-a2"},
    )
    same = registry(**restarted).admit(WELDER, "boot-1")
    assert (same.draining, same.released) == (True, True)
    rebooted = registry(**restarted).admit(WELDER, "boot-2")
    assert (rebooted.draining, rebooted.released) == (True, False)
