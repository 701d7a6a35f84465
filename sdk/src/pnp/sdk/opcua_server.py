"""A module's OPC UA server: the pnp.v1.opcua information model over its skills.

::

    Objects/Module  (ns = urn:pnp:module, string NodeIds prefixed "<module id>.";
                     every name here is defined once, in pnp.v1.opcua)
      ModuleId, Vendor, Model, ItemState
      Skills/<capability>/CurrentState, StateNumber, ExecutionId, Progress, ResultJson, Envelope,
                          Start(executionId, parametersJson[, leaderTerm]) -> accepted,
                          QueryExecution(executionId) -> outcome, resultsJson,
                          Stop, Hold, Unhold, Suspend, Unsuspend, Abort, Clear, Reset, ToComplete
      Telemetry/<name> (Double)

A command the PackML state machine does not allow now is answered with
``BadInvalidState``; parameters the envelope refuses with ``BadInvalidArgument``; a
Start whose ``leaderTerm`` is older than the newest the module has seen (a deposed
leader's, ``pnp.sdk.fencing``) with ``BadRequestNotAllowed``, before anything happens.
This adapter holds no state of its own: it publishes what the skill runtimes say.
With ``security`` the server offers SignAndEncrypt only, to the orchestrator only
(``opcua_security``); without it, NoSecurity only, and it says so loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from asyncua import Server, ua

from pnp.sdk.fencing import LeaderTerm
from pnp.sdk.opcua_cache import init_server
from pnp.sdk.opcua_security import secure_server
from pnp.sdk.packml import Command, CommandRefused
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.skill import InvalidParameters, SkillRuntime
from pnp.v1.opcua import (
    ARGUMENT_DATA_TYPES,
    ARGUMENT_DESCRIPTIONS,
    METHOD_ARGUMENTS,
    NAMESPACE_URI,
    ExecutionOutcome,
    ItemState,
    MethodArgument,
    ModuleNode,
    Refusal,
    SkillMethod,
    SkillVariable,
    node_identifier,
)

log = logging.getLogger(__name__)

# The methods that issue a PackML command and take no arguments: all but Start and
# QueryExecution, in the contract's order.
_COMMAND_METHODS = {
    method: Command(method)
    for method in SkillMethod
    if method not in (SkillMethod.START, SkillMethod.QUERY_EXECUTION)
}
_BAD_INVALID_STATE = getattr(ua.StatusCodes, Refusal.BAD_INVALID_STATE)
_BAD_INVALID_ARGUMENT = getattr(ua.StatusCodes, Refusal.BAD_INVALID_ARGUMENT)
_BAD_STALE_TERM = getattr(ua.StatusCodes, Refusal.BAD_REQUEST_NOT_ALLOWED)
_SKILLS = (ModuleNode.MODULE, ModuleNode.SKILLS)
_TELEMETRY = (ModuleNode.MODULE, ModuleNode.TELEMETRY)


class ModuleOpcUaServer:
    def __init__(
        self,
        *,
        module_id: str,
        vendor: str,
        model: str,
        runtimes: dict[str, SkillRuntime],
        host: str = "127.0.0.1",
        port: int = 0,
        security: ModuleSecurity | None = None,
        address_space_cache: Path | bool = True,
        leader_term: LeaderTerm | None = None,
    ) -> None:
        """``address_space_cache``: where asyncua's standard address space is cached
        between starts (see ``pnp.sdk.opcua_cache``); True: the per-user default,
        False: build it anew at every start (about a second of CPU). ``leader_term``:
        the module's fence, shared with its registry session (default: its own)."""
        self.module_id = module_id
        self.leader_term = leader_term or LeaderTerm()
        self.address_space_cache = address_space_cache
        self.security = security
        self.vendor = vendor
        self.model = model
        self.runtimes = runtimes
        self.host = host
        self.port = port  # 0: the OS picks a free one when the server binds
        self.server = Server()
        self._skill_nodes: dict[str, dict[str, object]] = {}
        self._telemetry: dict[str, object] = {}
        self._item_state = None
        self._idx = 0

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}"

    def _id(self, *path: str) -> ua.NodeId:
        return ua.NodeId(node_identifier(self.module_id, *path), self._idx)

    def _name(self, name: str) -> ua.QualifiedName:
        return ua.QualifiedName(str(name), self._idx)

    async def start(self) -> None:
        server = self.server
        await init_server(server, self.address_space_cache)
        server.set_endpoint(f"{self.endpoint}/")
        server.set_server_name(f"pnp module {self.module_id}")
        # asyncua offers every policy and trusts any certificate by default: a module
        # offers either SignAndEncrypt to the orchestrator only, or NoSecurity only.
        if self.security is not None:
            await secure_server(server, self.security)
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self._idx = await server.register_namespace(NAMESPACE_URI)
        module = await server.nodes.objects.add_object(
            self._id(ModuleNode.MODULE), self._name(ModuleNode.MODULE)
        )
        for name, value in (
            (ModuleNode.MODULE_ID, self.module_id),
            (ModuleNode.VENDOR, self.vendor),
            (ModuleNode.MODEL, self.model),
        ):
            await module.add_variable(
                self._id(ModuleNode.MODULE, name), self._name(name), value, ua.VariantType.String
            )
        self._item_state = await module.add_variable(
            self._id(ModuleNode.MODULE, ModuleNode.ITEM_STATE),
            self._name(ModuleNode.ITEM_STATE),
            str(ItemState.NOT_EXECUTING),
            ua.VariantType.String,
        )
        skills = await module.add_folder(self._id(*_SKILLS), self._name(ModuleNode.SKILLS))
        for capability, runtime in self.runtimes.items():
            await self._add_skill(skills, capability, runtime)
        self._telemetry_folder = await module.add_folder(
            self._id(*_TELEMETRY), self._name(ModuleNode.TELEMETRY)
        )
        try:
            await server.start()
        except OSError as error:
            reason = f"cannot serve OPC UA on port {self.port}: {error.strerror}"
            raise OSError(f"module {self.module_id}: {reason}") from None
        # Bound to port 0, the OS chose the port: learn it. Clients still find it in
        # GetEndpoints, which asyncua rewrites to the address the client asked for.
        bound = getattr(server.bserver, "port", None)
        if bound:
            self.port = bound
        if self.security is None:
            log.warning(
                "module %s: OPC UA without security at %s (local development only)",
                self.module_id,
                self.endpoint,
            )

    async def stop(self) -> None:
        # asyncua's clock task sleeps a whole second between updates and stop() waits for
        # it; cancelling it first makes a module shut down at once.
        internal = getattr(self.server, "iserver", None)
        clock_task = getattr(internal, "time_task", None)
        if clock_task is not None:
            clock_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clock_task
            internal.time_task = None
        await self.server.stop()

    async def _add_skill(self, parent, capability: str, runtime: SkillRuntime) -> None:
        base = (*_SKILLS, capability)
        skill = await parent.add_object(self._id(*base), self._name(capability))

        async def variable(name: SkillVariable, value, kind: ua.VariantType):
            return await skill.add_variable(self._id(*base, name), self._name(name), value, kind)

        string, double = ua.VariantType.String, ua.VariantType.Double
        nodes = {
            SkillVariable.CURRENT_STATE: await variable(
                SkillVariable.CURRENT_STATE, runtime.state.label, string
            ),
            SkillVariable.STATE_NUMBER: await variable(
                SkillVariable.STATE_NUMBER, int(runtime.state), ua.VariantType.Int32
            ),
            SkillVariable.EXECUTION_ID: await variable(SkillVariable.EXECUTION_ID, "", string),
            SkillVariable.PROGRESS: await variable(SkillVariable.PROGRESS, 0.0, double),
            # Beyond the reference model: the finished execution's results (measurements) as a
            # JSON object, so the orchestrator can record them with the attempt.
            SkillVariable.RESULT_JSON: await variable(SkillVariable.RESULT_JSON, "{}", string),
        }
        # Beyond the reference model: the capability's envelope and time model as JSON, so a
        # client (the conformance kit) can find valid parameters without the descriptor.
        await skill.add_property(
            self._id(*base, SkillVariable.ENVELOPE),
            self._name(SkillVariable.ENVELOPE),
            runtime.capability.model_dump_json(),
            ua.VariantType.String,
        )
        self._skill_nodes[capability] = nodes

        async def start(_parent, *arguments):
            refused = self._fenced_start(capability, arguments)
            if refused is not None:
                return ua.StatusCode(refused)
            execution_id, parameters_json = arguments[:2]
            try:
                accepted = await runtime.start(
                    str(execution_id.Value or ""), str(parameters_json.Value or "")
                )
            except CommandRefused as refused:
                log.info("%s %s: %s", self.module_id, capability, refused)
                return ua.StatusCode(_BAD_INVALID_STATE)
            except InvalidParameters as invalid:
                log.info("%s %s: refused parameters: %s", self.module_id, capability, invalid)
                return ua.StatusCode(_BAD_INVALID_ARGUMENT)
            return [ua.Variant(accepted, ua.VariantType.Boolean)]

        await skill.add_method(
            self._id(*base, SkillMethod.START),
            self._name(SkillMethod.START),
            start,
            *_arguments(SkillMethod.START),
        )

        async def query(_parent, execution_id):
            outcome, results = runtime.outcome_of(str(execution_id.Value or ""))
            return [
                ua.Variant(str(outcome), ua.VariantType.String),
                ua.Variant(json.dumps(results, default=str), ua.VariantType.String),
            ]

        # Beyond the reference model: what became of an execution id, for an orchestrator that
        # restarts with executions in flight (running, complete, stopped, aborted, unknown).
        await skill.add_method(
            self._id(*base, SkillMethod.QUERY_EXECUTION),
            self._name(SkillMethod.QUERY_EXECUTION),
            query,
            *_arguments(SkillMethod.QUERY_EXECUTION),
        )
        for method_name, command in _COMMAND_METHODS.items():
            await skill.add_method(
                self._id(*base, method_name),
                self._name(method_name),
                _command_callback(runtime, command),
                [],
                [],
            )

    def _fenced_start(self, capability: str, arguments: tuple) -> int | None:
        """The status a Start is refused with before it reaches the skill, or None.

        Two arguments are an old client's Start: term 0. A term older than the newest
        the module has seen comes from a deposed leader: refused, so nothing runs and
        nothing is journalled."""
        if len(arguments) < 2:
            return ua.StatusCodes.BadArgumentsMissing
        if len(arguments) > 3:
            return ua.StatusCodes.BadTooManyArguments
        term = arguments[2].Value if len(arguments) == 3 else 0
        if isinstance(term, bool) or not isinstance(term, int) or term < 0:
            log.info("%s %s: refused Start: leaderTerm %r", self.module_id, capability, term)
            return _BAD_INVALID_ARGUMENT
        if not self.leader_term.admits(term):
            log.warning(
                "%s %s: refused Start of %s from a deposed leader: term %d, newest seen %d",
                self.module_id,
                capability,
                arguments[0].Value,
                term,
                self.leader_term.highest,
            )
            return _BAD_STALE_TERM
        return None

    async def publish_skill(self, capability: str, runtime: SkillRuntime) -> None:
        nodes = self._skill_nodes.get(capability)
        if nodes is None:
            return
        current = runtime.current
        execution = current.execution_id if current else ""
        complete = current is not None and current.outcome is ExecutionOutcome.COMPLETE
        results = current.results if complete else {}
        string = ua.VariantType.String
        await nodes[SkillVariable.RESULT_JSON].write_value(json.dumps(results, default=str), string)
        await nodes[SkillVariable.EXECUTION_ID].write_value(execution, string)
        await nodes[SkillVariable.PROGRESS].write_value(runtime.progress, ua.VariantType.Double)
        await nodes[SkillVariable.STATE_NUMBER].write_value(
            int(runtime.state), ua.VariantType.Int32
        )
        await nodes[SkillVariable.CURRENT_STATE].write_value(runtime.state.label, string)

    async def publish_item_state(self, item_state: ItemState) -> None:
        if self._item_state is not None:
            await self._item_state.write_value(str(item_state), ua.VariantType.String)

    async def publish_telemetry(self, name: str, value: float) -> None:
        node = self._telemetry.get(name)
        if node is None:
            node = await self._telemetry_folder.add_variable(
                self._id(*_TELEMETRY, name), self._name(name), value, ua.VariantType.Double
            )
            self._telemetry[name] = node
            return
        await node.write_value(value, ua.VariantType.Double)


def _arguments(method: SkillMethod) -> tuple[list[ua.Argument], list[ua.Argument]]:
    """The method's input and output arguments, as the contract defines them."""
    inputs, outputs = METHOD_ARGUMENTS[method]
    return [_argument(name) for name in inputs], [_argument(name) for name in outputs]


def _argument(name: MethodArgument) -> ua.Argument:
    argument = ua.Argument()
    argument.Name = str(name)
    argument.DataType = ua.NodeId(getattr(ua.VariantType, ARGUMENT_DATA_TYPES[name]).value)
    argument.ValueRank = -1
    argument.Description = ua.LocalizedText(ARGUMENT_DESCRIPTIONS[name])
    return argument


def _command_callback(runtime: SkillRuntime, command: Command):
    async def call(_parent):
        try:
            await runtime.command(command)
        except CommandRefused:
            return ua.StatusCode(_BAD_INVALID_STATE)
        return []

    return call
