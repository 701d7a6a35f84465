"""The PackML state machine: numbers, transitions, and refusals (OPC 30050)."""

from __future__ import annotations

import pytest

from pnp.sdk.packml import (
    Command,
    CommandRefused,
    State,
    allowed_commands,
    complete_acting,
    next_state,
)

C, S = Command, State


def test_state_numbers_are_the_standard_ones():
    assert {s.label: int(s) for s in State} == {
        "Clearing": 1, "Stopped": 2, "Starting": 3, "Idle": 4, "Suspended": 5, "Execute": 6,
        "Stopping": 7, "Aborting": 8, "Aborted": 9, "Holding": 10, "Held": 11,
        "Unholding": 12, "Suspending": 13, "Unsuspending": 14, "Resetting": 15,
        "Completing": 16, "Complete": 17,
    }  # fmt: skip


def run(state: State, *commands: Command) -> list[State]:
    """The states passed through, settling each acting state."""
    trail = [state]
    for command in commands:
        state = next_state(state, command)
        trail.append(state)
        state = complete_acting(state)
        trail.append(state)
    return trail


def test_the_production_cycle():
    assert run(S.IDLE, C.START, C.COMPLETE, C.RESET) == [
        S.IDLE, S.STARTING, S.EXECUTE, S.COMPLETING, S.COMPLETE, S.RESETTING, S.IDLE,
    ]  # fmt: skip


def test_hold_and_suspend_loop_back_to_execute():
    assert run(S.EXECUTE, C.HOLD, C.UNHOLD)[-1] is S.EXECUTE
    assert run(S.EXECUTE, C.SUSPEND, C.UNSUSPEND)[-1] is S.EXECUTE
    assert run(S.EXECUTE, C.HOLD)[1:] == [S.HOLDING, S.HELD]


def test_stop_leads_to_stopped_and_reset_to_idle():
    assert run(S.HELD, C.STOP, C.RESET)[-3:] == [S.STOPPED, S.RESETTING, S.IDLE]


def test_abort_from_anywhere_but_the_abort_branch_then_clear_to_stopped():
    for state in State:
        if state in (S.ABORTING, S.ABORTED):
            with pytest.raises(CommandRefused):
                next_state(state, C.ABORT)
        else:
            assert next_state(state, C.ABORT) is S.ABORTING
    assert run(S.ABORTED, C.CLEAR) == [S.ABORTED, S.CLEARING, S.STOPPED]


@pytest.mark.parametrize(
    ("state", "command"),
    [
        (S.IDLE, C.UNHOLD),
        (S.IDLE, C.RESET),
        (S.EXECUTE, C.START),
        (S.COMPLETE, C.START),
        (S.ABORTED, C.RESET),
        (S.STOPPED, C.STOP),
        (S.HELD, C.HOLD),
        (S.IDLE, C.COMPLETE),
    ],
)
def test_commands_out_of_state_are_refused(state, command):
    with pytest.raises(
        CommandRefused, match=f"{command.value} is not allowed in state {state.label}"
    ):
        next_state(state, command)


def test_allowed_commands_agree_with_next_state():
    for state in State:
        for command in Command:
            try:
                next_state(state, command)
                allowed = True
            except CommandRefused:
                allowed = False
            assert allowed == (command in allowed_commands(state)), (state, command)
