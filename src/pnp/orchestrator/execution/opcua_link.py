"""The orchestrator's OPC UA client for one module: keeps connected, mirrors skill states.

asyncua clients do not reconnect by themselves, so ``ModuleLink.run`` does: connect,
browse the skills, subscribe to each skill's CurrentState and ExecutionId and to the
module's telemetry, and on any failure wait (capped backoff) and start over. The
mirrored states are what the executor's reconcile pass reads; every change pokes it
(level-triggered: a missed notification is caught by the next pass, which rereads
nothing it does not need).

Every Start carries the leader's fencing term (``leader_term``, read at each call), so a
module that has seen a newer leader refuses this one's Starts once it is deposed. Only
a module whose Start declares the ``leaderTerm`` argument gets it: an older module takes
two arguments, and stacks that check argument counts would refuse a third.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from asyncua import Client, ua

from pnp.orchestrator.execution.link import (
    CommandRefused,
    ExecutionReport,
    LinkDown,
    SkillView,
    TelemetryListener,
)
from pnp.orchestrator.execution.opcua_security import secure_client
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.v1.opcua import (
    NAMESPACE_URI,
    ExecutionOutcome,
    MethodArgument,
    ModuleNode,
    PackMLState,
    Refusal,
    SkillMethod,
    SkillVariable,
)

log = logging.getLogger(__name__)

CALL_TIMEOUT = 5.0
# The acting state a command enters (PackML), by the method that issues it.
_ACTING_AFTER = {
    SkillMethod.RESET: PackMLState.RESETTING,
    SkillMethod.CLEAR: PackMLState.CLEARING,
    SkillMethod.STOP: PackMLState.STOPPING,
    SkillMethod.ABORT: PackMLState.ABORTING,
}
# The children of a skill the link reads: the first two it also subscribes to.
_BROWSED = (SkillVariable.CURRENT_STATE, SkillVariable.EXECUTION_ID, SkillVariable.RESULT_JSON)


class ModuleLink:
    def __init__(
        self,
        module_id: str,
        endpoint: str,
        on_change: Callable[[], None],
        security: TlsFiles | None = None,
        leader_term: Callable[[], int] = lambda: 0,
    ) -> None:
        """``leader_term``: the fencing term this orchestrator holds now (0: none)."""
        self.module_id = module_id
        self.endpoint = endpoint
        self.security = security  # None: NoSecurity (local development)
        self._leader_term = leader_term
        self.skills: dict[str, SkillView] = {}
        self.connected = asyncio.Event()
        self._on_change = on_change
        self._client: Client | None = None
        self._nodes: dict[str, dict[str, object]] = {}  # capability -> child -> node
        self._skill_nodes: dict[str, object] = {}  # capability -> skill object node
        self._start_takes_term: set[str] = set()  # capabilities whose Start has leaderTerm
        self._telemetry = None  # the module's Telemetry folder node
        self._watch: dict[object, tuple[str, str]] = {}  # node id -> (capability, child)
        self._telemetry_watch: dict[object, str] = {}  # node id -> telemetry name
        # Told of every telemetry value the module publishes (the executor files it
        # under the execution running there).
        self.on_telemetry: TelemetryListener = lambda _module, _name, _value: None
        self.on_lost: Callable[[str], None] = lambda _module: None

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._session()
            except (OSError, TimeoutError, ua.UaError, ConnectionError, LinkDown) as error:
                # asyncua may turn our cancellation into a TimeoutError: honour it anyway.
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError from error
                log.info("%s: OPC UA link down (%s); reconnecting", self.module_id, error)
            finally:
                self.connected.clear()
                self._on_change()
            await asyncio.sleep(delay)
            delay = min(5.0, delay * 2)

    async def _session(self) -> None:
        client = Client(self.endpoint, timeout=CALL_TIMEOUT)
        # Keep-alives detect a dead server; the watchdog ends the session when they fail.
        client.session_timeout = 30_000
        if self.security is not None:
            await secure_client(client, self.security, self.module_id)
        await client.connect()
        # A module that dies closes its sockets: asyncua sees this one in our event
        # loop, often before gRPC has handed over the end of the session stream.
        client.connection_lost_callback = self._connection_lost
        self._client = client
        try:
            await self._browse(client)
            subscription = await client.create_subscription(50, self)
            watched = [
                self._nodes[cap][child]
                for cap in self._nodes
                for child in (SkillVariable.CURRENT_STATE, SkillVariable.EXECUTION_ID)
            ]
            await subscription.subscribe_data_change(watched, queuesize=50)
            self._telemetry_watch.clear()
            await self._watch_telemetry(subscription)
            self.connected.set()
            self._on_change()
            while True:
                await asyncio.sleep(1.0)
                # A read doubles as a liveness probe: a dead server raises here.
                await client.nodes.server_state.read_value()
                # Modules add telemetry variables as they first publish them.
                await self._watch_telemetry(subscription)
        finally:
            self._client = None
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def _connection_lost(self, _error: Exception) -> None:
        if self.connected.is_set():
            self.on_lost(self.module_id)

    async def _browse(self, client: Client) -> None:
        idx = await client.get_namespace_index(NAMESPACE_URI)
        module = f"{idx}:{ModuleNode.MODULE}"
        skills = await client.nodes.objects.get_child([module, f"{idx}:{ModuleNode.SKILLS}"])
        try:
            self._telemetry = await client.nodes.objects.get_child(
                [module, f"{idx}:{ModuleNode.TELEMETRY}"]
            )
        except ua.UaError:  # a module without telemetry is still a module
            self._telemetry = None
        self._nodes.clear()
        self._skill_nodes.clear()
        self._start_takes_term.clear()
        self._watch.clear()
        for node in await skills.get_children():
            capability = (await node.read_browse_name()).Name
            self._skill_nodes[capability] = node
            if await _takes_leader_term(await node.get_child(f"{idx}:{SkillMethod.START}")):
                self._start_takes_term.add(capability)
            children = {}
            for child in _BROWSED:
                children[child] = await node.get_child(f"{idx}:{child}")
                self._watch[children[child].nodeid] = (capability, child)
            self._nodes[capability] = children
            self.skills[capability] = SkillView(
                state=await children[SkillVariable.CURRENT_STATE].read_value(),
                execution_id=await children[SkillVariable.EXECUTION_ID].read_value(),
            )
        self._idx = idx

    async def _watch_telemetry(self, subscription) -> None:
        if self._telemetry is None:
            return
        new = []
        for node in await self._telemetry.get_children():
            if node.nodeid not in self._telemetry_watch:
                self._telemetry_watch[node.nodeid] = (await node.read_browse_name()).Name
                new.append(node)
        if new:
            await subscription.subscribe_data_change(new, queuesize=50)

    # asyncua subscription handler
    def datachange_notification(self, node, value, data) -> None:
        name = self._telemetry_watch.get(node.nodeid)
        if name is not None:
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.on_telemetry(self.module_id, name, float(value))
            return
        key = self._watch.get(node.nodeid)
        if key is None:
            return
        capability, child = key
        view = self.skills.setdefault(capability, SkillView())
        if child == SkillVariable.CURRENT_STATE:
            view.state = value
        elif child == SkillVariable.EXECUTION_ID:
            view.execution_id = value
        self._on_change()

    def status_change_notification(self, status) -> None:
        log.info("%s: subscription status %s", self.module_id, status)

    # -- commands -------------------------------------------------------------------------

    async def start(self, capability: str, execution_id: str, parameters: dict) -> bool:
        arguments: list[object] = [execution_id, json.dumps(parameters)]
        term = self._leader_term()
        if capability in self._start_takes_term:
            arguments.append(ua.Variant(term, ua.VariantType.UInt64))
        try:
            result = await self._call(capability, SkillMethod.START, *arguments)
        except CommandRefused as refused:
            if refused.status == Refusal.BAD_REQUEST_NOT_ALLOWED:
                log.warning(
                    "%s refused Start of %s: it has seen a newer leader than ours (term %d)",
                    self.module_id,
                    execution_id,
                    term,
                )
            raise
        return bool(result)

    async def command(self, capability: str, method: str) -> None:
        """Calls a PackML command method (a ``SkillMethod``, e.g. "Reset")."""
        await self._call(capability, method)
        # The acting state the command enters (PackML); the subscription brings the
        # state it settles in. Until then nobody mistakes the skill for still finished.
        acting = _ACTING_AFTER.get(method)
        if acting is not None and capability in self.skills:
            self.skills[capability].state = acting.label

    async def query_execution(self, capability: str, execution_id: str) -> ExecutionReport:
        """Asks the module what became of ``execution_id`` (after our own restart)."""
        outcome, results_json = await self._call(
            capability, SkillMethod.QUERY_EXECUTION, execution_id
        )
        try:
            results = json.loads(results_json or "{}")
        except ValueError:
            results = {}
        try:
            known = ExecutionOutcome(str(outcome))
        except ValueError:
            # Not an outcome the contract has: settled as if the module did not know it.
            log.warning("%s: QueryExecution answered %r", self.module_id, outcome)
            known = ExecutionOutcome.UNKNOWN
        return ExecutionReport(known, results if isinstance(results, dict) else {})

    async def result(self, capability: str) -> dict:
        nodes = self._require(capability)
        try:
            text = await nodes[SkillVariable.RESULT_JSON].read_value()
            value = json.loads(text or "{}")
        except ValueError:
            return {}
        except (OSError, TimeoutError, ConnectionError) as error:
            raise LinkDown(str(error)) from None
        return value if isinstance(value, dict) else {"value": value}

    async def _call(self, capability: str, method: str, *args):
        self._require(capability)
        node = self._skill_nodes[capability]
        try:
            return await node.call_method(f"{self._idx}:{method}", *args)
        except ua.UaStatusCodeError as error:
            raise CommandRefused(type(error).__name__) from None
        except (OSError, TimeoutError, ConnectionError, ua.UaError) as error:
            raise LinkDown(f"{type(error).__name__}: {error}") from None

    def _require(self, capability: str):
        if self._client is None or not self.connected.is_set():
            raise LinkDown(f"{self.module_id} is not connected")
        nodes = self._nodes.get(capability)
        if nodes is None:
            raise CommandRefused(f"no skill {capability!r} on {self.module_id}")
        return nodes


async def _takes_leader_term(start) -> bool:
    """Whether a skill's Start declares the ``leaderTerm`` input argument."""
    try:
        declared = await (await start.get_child("0:InputArguments")).read_value()
    except ua.UaError:
        return False
    return any(argument.Name == MethodArgument.LEADER_TERM for argument in declared or ())
