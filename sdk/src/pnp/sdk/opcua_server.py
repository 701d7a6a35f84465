"""A module's OPC UA server: the information model of DESIGN.md 4.2 over its skills.

::

    Objects/Module  (ns = urn:pnp:module, string NodeIds prefixed "<module id>.")
      ModuleId, Vendor, Model, ItemState
      Skills/<capability>/CurrentState, StateNumber, ExecutionId, Progress, ResultJson, Envelope,
                          Start(executionId, parametersJson) -> accepted,
                          QueryExecution(executionId) -> outcome, resultsJson,
                          Stop, Hold, Unhold, Suspend, Unsuspend, Abort, Clear, Reset, ToComplete
      Telemetry/<name> (Double)

A command the PackML state machine does not allow now is answered with
``BadInvalidState``; parameters the envelope refuses with ``BadInvalidArgument``.
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

from pnp.sdk.opcua_cache import init_server
from pnp.sdk.opcua_security import secure_server
from pnp.sdk.packml import Command, CommandRefused
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.skill import InvalidParameters, SkillRuntime

log = logging.getLogger(__name__)

NAMESPACE_URI = "urn:pnp:module"
_COMMAND_METHODS = {
    "Stop": Command.STOP,
    "Hold": Command.HOLD,
    "Unhold": Command.UNHOLD,
    "Suspend": Command.SUSPEND,
    "Unsuspend": Command.UNSUSPEND,
    "Abort": Command.ABORT,
    "Clear": Command.CLEAR,
    "Reset": Command.RESET,
    "ToComplete": Command.COMPLETE,
}


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
    ) -> None:
        """``address_space_cache``: where asyncua's standard address space is cached
        between starts (see ``pnp.sdk.opcua_cache``); True: the per-user default,
        False: build it anew at every start (about a second of CPU)."""
        self.module_id = module_id
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

    def _id(self, path: str) -> ua.NodeId:
        return ua.NodeId(f"{self.module_id}.{path}", self._idx)

    def _name(self, name: str) -> ua.QualifiedName:
        return ua.QualifiedName(name, self._idx)

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
        module = await server.nodes.objects.add_object(self._id("Module"), self._name("Module"))
        for name, value in (
            ("ModuleId", self.module_id),
            ("Vendor", self.vendor),
            ("Model", self.model),
        ):
            await module.add_variable(
                self._id(f"Module.{name}"), self._name(name), value, ua.VariantType.String
            )
        self._item_state = await module.add_variable(
            self._id("Module.ItemState"),
            self._name("ItemState"),
            "NotExecuting",
            ua.VariantType.String,
        )
        skills = await module.add_folder(self._id("Module.Skills"), self._name("Skills"))
        for capability, runtime in self.runtimes.items():
            await self._add_skill(skills, capability, runtime)
        self._telemetry_folder = await module.add_folder(
            self._id("Module.Telemetry"), self._name("Telemetry")
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
        base = f"Module.Skills.{capability}"
        skill = await parent.add_object(self._id(base), self._name(capability))
        nodes = {
            "CurrentState": await skill.add_variable(
                self._id(f"{base}.CurrentState"),
                self._name("CurrentState"),
                runtime.state.label,
                ua.VariantType.String,
            ),
            "StateNumber": await skill.add_variable(
                self._id(f"{base}.StateNumber"),
                self._name("StateNumber"),
                int(runtime.state),
                ua.VariantType.Int32,
            ),
            "ExecutionId": await skill.add_variable(
                self._id(f"{base}.ExecutionId"),
                self._name("ExecutionId"),
                "",
                ua.VariantType.String,
            ),
            "Progress": await skill.add_variable(
                self._id(f"{base}.Progress"), self._name("Progress"), 0.0, ua.VariantType.Double
            ),
            # Beyond DESIGN.md 4.2: the finished execution's results (measurements) as a
            # JSON object, so the orchestrator can record them with the attempt.
            "ResultJson": await skill.add_variable(
                self._id(f"{base}.ResultJson"),
                self._name("ResultJson"),
                "{}",
                ua.VariantType.String,
            ),
        }
        # Beyond DESIGN.md 4.2: the capability's envelope and time model as JSON, so a
        # client (the conformance kit) can find valid parameters without the descriptor.
        await skill.add_property(
            self._id(f"{base}.Envelope"),
            self._name("Envelope"),
            runtime.capability.model_dump_json(),
            ua.VariantType.String,
        )
        self._skill_nodes[capability] = nodes

        async def start(_parent, execution_id, parameters_json):
            try:
                accepted = await runtime.start(
                    str(execution_id.Value or ""), str(parameters_json.Value or "")
                )
            except CommandRefused as refused:
                log.info("%s %s: %s", self.module_id, capability, refused)
                return ua.StatusCode(ua.StatusCodes.BadInvalidState)
            except InvalidParameters as invalid:
                log.info("%s %s: refused parameters: %s", self.module_id, capability, invalid)
                return ua.StatusCode(ua.StatusCodes.BadInvalidArgument)
            return [ua.Variant(accepted, ua.VariantType.Boolean)]

        await skill.add_method(
            self._id(f"{base}.Start"),
            self._name("Start"),
            start,
            [
                _argument(
                    "executionId", "the operation attempt to run; a repeated id never runs twice"
                ),
                _argument("parametersJson", "the step's parameters as a JSON object"),
            ],
            [
                _argument(
                    "accepted",
                    "true when the execution is (or was already) accepted",
                    ua.VariantType.Boolean,
                )
            ],
        )

        async def query(_parent, execution_id):
            outcome, results = runtime.outcome_of(str(execution_id.Value or ""))
            return [
                ua.Variant(outcome, ua.VariantType.String),
                ua.Variant(json.dumps(results, default=str), ua.VariantType.String),
            ]

        # Beyond DESIGN.md 4.2: what became of an execution id, for an orchestrator that
        # restarts with executions in flight (running, complete, stopped, aborted, unknown).
        await skill.add_method(
            self._id(f"{base}.QueryExecution"),
            self._name("QueryExecution"),
            query,
            [_argument("executionId", "an execution id this skill may have been started with")],
            [
                _argument("outcome", "running, complete, stopped, aborted or unknown"),
                _argument("resultsJson", "the results when complete, as a JSON object"),
            ],
        )
        for method_name, command in _COMMAND_METHODS.items():
            await skill.add_method(
                self._id(f"{base}.{method_name}"),
                self._name(method_name),
                _command_callback(runtime, command),
                [],
                [],
            )

    async def publish_skill(self, capability: str, runtime: SkillRuntime) -> None:
        nodes = self._skill_nodes.get(capability)
        if nodes is None:
            return
        current = runtime.current
        execution = current.execution_id if current else ""
        results = current.results if current and current.outcome == "complete" else {}
        await nodes["ResultJson"].write_value(
            json.dumps(results, default=str), ua.VariantType.String
        )
        await nodes["ExecutionId"].write_value(execution, ua.VariantType.String)
        await nodes["Progress"].write_value(runtime.progress, ua.VariantType.Double)
        await nodes["StateNumber"].write_value(int(runtime.state), ua.VariantType.Int32)
        await nodes["CurrentState"].write_value(runtime.state.label, ua.VariantType.String)

    async def publish_item_state(self, item_state: str) -> None:
        if self._item_state is not None:
            await self._item_state.write_value(item_state, ua.VariantType.String)

    async def publish_telemetry(self, name: str, value: float) -> None:
        node = self._telemetry.get(name)
        if node is None:
            node = await self._telemetry_folder.add_variable(
                self._id(f"Module.Telemetry.{name}"), self._name(name), value, ua.VariantType.Double
            )
            self._telemetry[name] = node
            return
        await node.write_value(value, ua.VariantType.Double)


def _argument(name: str, description: str, kind=ua.VariantType.String) -> ua.Argument:
    argument = ua.Argument()
    argument.Name = name
    argument.DataType = ua.NodeId(kind.value)
    argument.ValueRank = -1
    argument.Description = ua.LocalizedText(description)
    return argument


def _command_callback(runtime: SkillRuntime, command: Command):
    async def call(_parent):
        try:
            await runtime.command(command)
        except CommandRefused:
            return ua.StatusCode(ua.StatusCodes.BadInvalidState)
        return []

    return call
