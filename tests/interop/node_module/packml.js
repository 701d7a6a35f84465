// The PackML state machine of one skill (docs/module-contract.md, "PackML"), as data.
//
// Commands move a skill out of a wait state into an acting state; an acting state
// settles by itself into the next state once its work is done. A command not allowed
// in the current state is refused: the OPC UA server answers it with BadInvalidState.
"use strict";

// State names (what CurrentState shows) and numbers (StateNumber), OPC 30050.
const STATES = {
  Clearing: 1, Stopped: 2, Starting: 3, Idle: 4, Suspended: 5, Execute: 6, Stopping: 7,
  Aborting: 8, Aborted: 9, Holding: 10, Held: 11, Unholding: 12, Suspending: 13,
  Unsuspending: 14, Resetting: 15, Completing: 16, Complete: 17,
};

// Commands, by the skill method that issues them, allowed in which state, leading where.
const COMMANDS = {
  Idle: { Start: "Starting" },
  Execute: { Hold: "Holding", Suspend: "Suspending", ToComplete: "Completing" },
  Held: { Unhold: "Unholding" },
  Suspended: { Unsuspend: "Unsuspending" },
  Complete: { Reset: "Resetting" },
  Stopped: { Reset: "Resetting" },
  Aborted: { Clear: "Clearing" },
};
const ACTING = {
  Starting: "Execute", Completing: "Complete", Resetting: "Idle", Holding: "Held",
  Unholding: "Execute", Suspending: "Suspended", Unsuspending: "Execute",
  Stopping: "Stopped", Aborting: "Aborted", Clearing: "Stopped",
};
const NO_STOP = new Set(["Stopping", "Stopped", "Aborting", "Aborted", "Clearing"]);
const NO_ABORT = new Set(["Aborting", "Aborted"]);
// States in which a skill holds an execution.
const BUSY = new Set([
  "Starting", "Execute", "Completing", "Holding", "Held", "Unholding", "Suspending",
  "Suspended", "Unsuspending",
]);

class CommandRefused extends Error {
  constructor(command, state) {
    super(`${command} is not allowed in state ${state}`);
    this.command = command;
    this.state = state;
  }
}

/** Where `command` leads from `state`; throws CommandRefused when it is not allowed. */
function nextState(state, command) {
  if (command === "Abort" && !NO_ABORT.has(state)) return "Aborting";
  if (command === "Stop" && !NO_STOP.has(state)) return "Stopping";
  const target = (COMMANDS[state] || {})[command];
  if (target === undefined) throw new CommandRefused(command, state);
  return target;
}

/** The state an acting state settles into; a wait state stays where it is. */
function settle(state) {
  return ACTING[state] || state;
}

module.exports = { STATES, BUSY, CommandRefused, nextState, settle };
