"""The PackML state machine of one skill (ISA-TR88.00.02, OPC 30050), as pure data.

States carry their standard numbers. Commands move the machine from a wait state to
an acting state; an acting state (Starting, Completing, Stopping...) moves on by
itself when its work is done ("state complete", ``complete_acting``). A command that
is not allowed in the current state is refused with ``CommandRefused``: the OPC UA
adapter answers it with ``BadInvalidState``.

    Idle -Start-> Starting -> Execute -> Completing -> Complete -Reset-> Resetting -> Idle
    Execute -Hold-> Holding -> Held -Unhold-> Unholding -> Execute
    Execute -Suspend-> Suspending -> Suspended -Unsuspend-> Unsuspending -> Execute
    (most states) -Stop-> Stopping -> Stopped -Reset-> Resetting -> Idle
    (any but Aborting/Aborted) -Abort-> Aborting -> Aborted -Clear-> Clearing -> Stopped
"""

from __future__ import annotations

import enum

from pnp.v1.opcua import BUSY_STATES, PackMLState, SkillMethod

# The states and their numbers are part of the contract (pnp.v1.opcua); the SDK's name
# for them stays ``State``.
State = PackMLState


class Command(enum.Enum):
    """A PackML command; its value is the skill method (pnp.v1.opcua) that issues it."""

    RESET = SkillMethod.RESET
    START = SkillMethod.START
    STOP = SkillMethod.STOP
    HOLD = SkillMethod.HOLD
    UNHOLD = SkillMethod.UNHOLD
    SUSPEND = SkillMethod.SUSPEND
    UNSUSPEND = SkillMethod.UNSUSPEND
    ABORT = SkillMethod.ABORT
    CLEAR = SkillMethod.CLEAR
    COMPLETE = SkillMethod.TO_COMPLETE


S, C = State, Command

# Commands accepted in wait (and some acting) states, and where they lead.
_COMMANDS: dict[State, dict[Command, State]] = {
    S.IDLE: {C.START: S.STARTING},
    S.EXECUTE: {C.HOLD: S.HOLDING, C.SUSPEND: S.SUSPENDING, C.COMPLETE: S.COMPLETING},
    S.HELD: {C.UNHOLD: S.UNHOLDING},
    S.SUSPENDED: {C.UNSUSPEND: S.UNSUSPENDING},
    S.COMPLETE: {C.RESET: S.RESETTING},
    S.STOPPED: {C.RESET: S.RESETTING},
    S.ABORTED: {C.CLEAR: S.CLEARING},
}
# Acting states move on by themselves once their work is done.
_ACTING: dict[State, State] = {
    S.STARTING: S.EXECUTE,
    S.COMPLETING: S.COMPLETE,
    S.RESETTING: S.IDLE,
    S.HOLDING: S.HELD,
    S.UNHOLDING: S.EXECUTE,
    S.SUSPENDING: S.SUSPENDED,
    S.UNSUSPENDING: S.EXECUTE,
    S.STOPPING: S.STOPPED,
    S.ABORTING: S.ABORTED,
    S.CLEARING: S.STOPPED,
}
# Stop is allowed everywhere except where the machine is already stopping, stopped,
# or in the abort branch.
_NO_STOP = {S.STOPPING, S.STOPPED, S.ABORTING, S.ABORTED, S.CLEARING}
_NO_ABORT = {S.ABORTING, S.ABORTED}

# States in which a skill holds an execution (is busy with an operation).
BUSY = BUSY_STATES


class CommandRefused(Exception):
    def __init__(self, command: Command, state: State) -> None:
        super().__init__(f"{command.value} is not allowed in state {state.label}")
        self.command = command
        self.state = state


def next_state(state: State, command: Command) -> State:
    """Where ``command`` leads from ``state``; raises CommandRefused if not allowed."""
    if command is C.ABORT and state not in _NO_ABORT:
        return S.ABORTING
    if command is C.STOP and state not in _NO_STOP:
        return S.STOPPING
    try:
        return _COMMANDS[state][command]
    except KeyError:
        raise CommandRefused(command, state) from None


def allowed_commands(state: State) -> set[Command]:
    allowed = set(_COMMANDS.get(state, {}))
    if state not in _NO_ABORT:
        allowed.add(C.ABORT)
    if state not in _NO_STOP:
        allowed.add(C.STOP)
    return allowed


def complete_acting(state: State) -> State:
    """The state an acting state settles into; a wait state stays where it is."""
    return _ACTING.get(state, state)


def is_acting(state: State) -> bool:
    return state in _ACTING
