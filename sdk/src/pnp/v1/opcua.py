"""The OPC UA half of the pnp.v1 contract: what a module serves, by name, defined once.

The gRPC half is generated from ``proto/pnp/v1/*.proto``; this file is its OPC UA
counterpart, read by the module server (``pnp.sdk.opcua_server``), the orchestrator's
link (``pnp.orchestrator.execution.opcua_link``) and the conformance kit
(``pnp.sdk.conformance``), so that a name cannot drift between them::

    Objects/Module  (namespace NAMESPACE_URI; string NodeIds "<module id>.<path>")
      ModuleId, Vendor, Model, ItemState
      Skills/<capability>/CurrentState, StateNumber, ExecutionId, Progress, ResultJson,
                          Envelope,
                          Start(executionId, parametersJson[, leaderTerm]) -> accepted,
                          QueryExecution(executionId) -> outcome, resultsJson,
                          Stop, Hold, Unhold, Suspend, Unsuspend, Abort, Clear, Reset,
                          ToComplete
      Telemetry/<name> (Double)

The enums are ``StrEnum``/``IntEnum``: their members equal the strings and numbers on
the wire, so a value read from a server compares equal to a member directly.
"""

from __future__ import annotations

import enum

NAMESPACE_URI = "urn:pnp:module"


class ModuleNode(enum.StrEnum):
    """Browse names under ``Objects``: the module object and its children."""

    MODULE = "Module"
    MODULE_ID = "ModuleId"
    VENDOR = "Vendor"
    MODEL = "Model"
    ITEM_STATE = "ItemState"
    SKILLS = "Skills"
    TELEMETRY = "Telemetry"


class SkillVariable(enum.StrEnum):
    """Variables of one skill object (``Skills/<capability>/...``)."""

    CURRENT_STATE = "CurrentState"  # String: the PackML state's name, e.g. "Execute"
    STATE_NUMBER = "StateNumber"  # Int32: the PackML state's number
    EXECUTION_ID = "ExecutionId"  # String: the execution the skill holds, "" for none
    PROGRESS = "Progress"  # Double, 0..1
    RESULT_JSON = "ResultJson"  # String: the completed execution's results, a JSON object
    ENVELOPE = "Envelope"  # String: the capability's parameter envelope, JSON


class SkillMethod(enum.StrEnum):
    """Methods of one skill object; every one but the first two is a PackML command."""

    # (executionId, parametersJson[, leaderTerm]) -> accepted; idempotent per id
    START = "Start"
    QUERY_EXECUTION = "QueryExecution"  # (executionId) -> outcome, resultsJson
    STOP = "Stop"
    HOLD = "Hold"
    UNHOLD = "Unhold"
    SUSPEND = "Suspend"
    UNSUSPEND = "Unsuspend"
    ABORT = "Abort"
    CLEAR = "Clear"
    RESET = "Reset"
    TO_COMPLETE = "ToComplete"


class MethodArgument(enum.StrEnum):
    """Names of the input and output arguments of Start and QueryExecution."""

    EXECUTION_ID = "executionId"  # String
    PARAMETERS_JSON = "parametersJson"  # String: a JSON object
    ACCEPTED = "accepted"  # Boolean
    OUTCOME = "outcome"  # String: an ExecutionOutcome
    RESULTS_JSON = "resultsJson"  # String: a JSON object
    LEADER_TERM = "leaderTerm"  # UInt64: the calling orchestrator's fencing term


# Each method's (input arguments, output arguments), in order; the PackML commands
# take and return nothing.
Signature = tuple[tuple[MethodArgument, ...], tuple[MethodArgument, ...]]
METHOD_ARGUMENTS: dict[SkillMethod, Signature] = {method: ((), ()) for method in SkillMethod} | {
    SkillMethod.START: (
        (MethodArgument.EXECUTION_ID, MethodArgument.PARAMETERS_JSON, MethodArgument.LEADER_TERM),
        (MethodArgument.ACCEPTED,),
    ),
    SkillMethod.QUERY_EXECUTION: (
        (MethodArgument.EXECUTION_ID,),
        (MethodArgument.OUTCOME, MethodArgument.RESULTS_JSON),
    ),
}
# Start's leaderTerm came later (fencing, pnp.v1.cluster). A module built on pnp's SDK
# reads a Start without it as term 0, so clients that pass two arguments keep working;
# a client passes it whenever the module's Start declares it (stacks that check argument
# counts, such as node-opcua, refuse a Start that leaves a declared argument out).


# The OPC UA built-in data type of each method argument.
ARGUMENT_DATA_TYPES: dict[MethodArgument, str] = {
    MethodArgument.EXECUTION_ID: "String",
    MethodArgument.PARAMETERS_JSON: "String",
    MethodArgument.ACCEPTED: "Boolean",
    MethodArgument.OUTCOME: "String",
    MethodArgument.RESULTS_JSON: "String",
    MethodArgument.LEADER_TERM: "UInt64",
}
# What each argument means: the server publishes it as the argument's Description, and
# the NodeSet2 file carries it.
ARGUMENT_DESCRIPTIONS: dict[MethodArgument, str] = {
    MethodArgument.EXECUTION_ID: "the execution (attempt) id; a repeated id never runs twice",
    MethodArgument.PARAMETERS_JSON: "the step's parameters as a JSON object",
    MethodArgument.ACCEPTED: "true when the execution is (or was already) accepted",
    MethodArgument.OUTCOME: "running, complete, stopped, aborted or unknown",
    MethodArgument.RESULTS_JSON: "the results when complete, as a JSON object",
    MethodArgument.LEADER_TERM: "the calling orchestrator's fencing term; a Start with an "
    "older term than the newest the module has seen is refused (0 or absent: no term)",
}


class Refusal(enum.StrEnum):
    """The OPC UA status codes, by name, that a skill answers a refused call with."""

    BAD_INVALID_STATE = "BadInvalidState"  # the PackML state machine does not allow it now
    BAD_INVALID_ARGUMENT = "BadInvalidArgument"  # Start's parameters, refused by the envelope
    # Start's leaderTerm is older than the newest term the module has seen: it comes from
    # a deposed leader (fencing, pnp.v1.cluster).
    BAD_REQUEST_NOT_ALLOWED = "BadRequestNotAllowed"


# The OPC UA built-in data type of every variable, by browse name.
DATA_TYPES: dict[str, str] = {
    ModuleNode.MODULE_ID: "String",
    ModuleNode.VENDOR: "String",
    ModuleNode.MODEL: "String",
    ModuleNode.ITEM_STATE: "String",
    SkillVariable.CURRENT_STATE: "String",
    SkillVariable.STATE_NUMBER: "Int32",
    SkillVariable.EXECUTION_ID: "String",
    SkillVariable.PROGRESS: "Double",
    SkillVariable.RESULT_JSON: "String",
    SkillVariable.ENVELOPE: "String",
}
TELEMETRY_DATA_TYPE = "Double"
# Skill variables published as properties (HasProperty) rather than components: values
# that describe the skill and do not change while it runs.
SKILL_PROPERTIES = frozenset({SkillVariable.ENVELOPE})

# What each node and method is for: the NodeSet2 file (proto/generate_nodeset.py) puts
# these in the Description attributes, so the published model explains itself.
DESCRIPTIONS: dict[str, str] = {
    ModuleNode.MODULE: "A pluggable module: its identity, item state, skills and telemetry",
    ModuleNode.MODULE_ID: "The module id it registered with (also the prefix of its NodeIds)",
    ModuleNode.VENDOR: "The module's vendor",
    ModuleNode.MODEL: "The module's product model",
    ModuleNode.ITEM_STATE: "MachineryItemState (OPC 40001-1): NotAvailable, OutOfService, "
    "NotExecuting or Executing",
    ModuleNode.SKILLS: "One object per capability, named after it (e.g. cutting.laser)",
    ModuleNode.TELEMETRY: "Double variables the module publishes, browse name = the channel name",
    SkillVariable.CURRENT_STATE: "The PackML state's name, e.g. Execute",
    SkillVariable.STATE_NUMBER: "The PackML state's number (OPC 30050), e.g. 6 for Execute",
    SkillVariable.EXECUTION_ID: "The execution the skill holds; empty in Idle",
    SkillVariable.PROGRESS: "Progress of the current execution, 0..1",
    SkillVariable.RESULT_JSON: "The completed execution's results as a JSON object; {} otherwise",
    SkillVariable.ENVELOPE: "The capability's parameter envelope and time model as JSON",
    SkillMethod.START: "Start an execution (Idle only); idempotent per execution id; "
    "refused when leaderTerm is older than the newest term the module has seen",
    SkillMethod.QUERY_EXECUTION: "What became of an execution id",
    SkillMethod.STOP: "PackML Stop: to Stopping, then Stopped",
    SkillMethod.HOLD: "PackML Hold (Execute only): to Holding, then Held",
    SkillMethod.UNHOLD: "PackML Unhold (Held only): to Unholding, then Execute",
    SkillMethod.SUSPEND: "PackML Suspend (Execute only): to Suspending, then Suspended",
    SkillMethod.UNSUSPEND: "PackML Unsuspend (Suspended only): to Unsuspending, then Execute",
    SkillMethod.ABORT: "PackML Abort: to Aborting, then Aborted",
    SkillMethod.CLEAR: "PackML Clear (Aborted only): to Clearing, then Stopped",
    SkillMethod.RESET: "PackML Reset (Complete or Stopped): to Resetting, then Idle",
    SkillMethod.TO_COMPLETE: "PackML Complete (Execute only): to Completing, then Complete",
}


class PackMLState(enum.IntEnum):
    """PackML states (ISA-TR88.00.02, OPC 30050) with their standard numbers."""

    CLEARING = 1
    STOPPED = 2
    STARTING = 3
    IDLE = 4
    SUSPENDED = 5
    EXECUTE = 6
    STOPPING = 7
    ABORTING = 8
    ABORTED = 9
    HOLDING = 10
    HELD = 11
    UNHOLDING = 12
    SUSPENDING = 13
    UNSUSPENDING = 14
    RESETTING = 15
    COMPLETING = 16
    COMPLETE = 17

    @property
    def label(self) -> str:
        """The name that ``CurrentState`` shows (e.g. "Execute")."""
        return self.name.capitalize()

    @classmethod
    def from_label(cls, label: str) -> PackMLState | None:
        """The state ``CurrentState`` names, or None for a name PackML does not have."""
        return _BY_LABEL.get(label)


_BY_LABEL = {state.label: state for state in PackMLState}


class ItemState(enum.StrEnum):
    """The module's MachineryItemState (OPC 40001-1), as ``ItemState`` shows it."""

    NOT_AVAILABLE = "NotAvailable"
    OUT_OF_SERVICE = "OutOfService"
    NOT_EXECUTING = "NotExecuting"
    EXECUTING = "Executing"


class ExecutionOutcome(enum.StrEnum):
    """What ``QueryExecution`` answers about an execution id."""

    RUNNING = "running"  # the skill holds it and has not finished
    COMPLETE = "complete"  # finished with results (resultsJson)
    STOPPED = "stopped"
    ABORTED = "aborted"
    UNKNOWN = "unknown"  # never started here, or forgotten (the module restarted)


# Where an attempt ended, by the state its skill shows afterwards.
FINISHED_STATES = frozenset({PackMLState.COMPLETE, PackMLState.ABORTED, PackMLState.STOPPED})

# States in which a skill holds an execution (is busy with an operation).
BUSY_STATES = frozenset(
    {
        PackMLState.STARTING,
        PackMLState.EXECUTE,
        PackMLState.COMPLETING,
        PackMLState.HOLDING,
        PackMLState.HELD,
        PackMLState.UNHOLDING,
        PackMLState.SUSPENDING,
        PackMLState.SUSPENDED,
        PackMLState.UNSUSPENDING,
    }
)


def node_identifier(module_id: str, *path: str) -> str:
    """The string NodeId identifier of a node: ``<module id>.<path, dotted>``."""
    return ".".join((module_id, *path))
