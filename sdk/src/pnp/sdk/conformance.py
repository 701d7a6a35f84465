"""The conformance kit: what a module must get right over OPC UA before it plugs in.

``await check_module(endpoint)`` connects as a client, exactly as the orchestrator
would, and exercises every skill: the information model, refused commands, parameter
checks, Start to Complete seen through a subscription, idempotent Start, the Hold,
Stop, Abort/Clear and ToComplete paths, and telemetry. Each check passes or fails
with its name and what was seen. ``pnp module check ENDPOINT`` prints the report.

The long-running paths start an execution with ``_units`` set high so that it is
still executing when the next command arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from asyncua import Client, ua

from pnp.sdk.opcua_security import secure_client
from pnp.sdk.security import ClientCredentials
from pnp.sdk.skill import UNITS_KEY
from pnp.v1.opcua import (
    NAMESPACE_URI,
    ItemState,
    MethodArgument,
    ModuleNode,
    Refusal,
    SkillVariable,
)
from pnp.v1.opcua import PackMLState as S
from pnp.v1.opcua import SkillMethod as M

ITEM_STATES = set(ItemState)
LONG_RUN_UNITS = 100_000


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""


class CheckFailed(Exception):
    pass


def sample_parameters(envelope: dict) -> dict:
    """Parameters inside the envelope: the first allowed value, or the middle of a range."""
    values = {}
    for parameter in envelope.get("parameters", []):
        if parameter.get("allowed"):
            values[parameter["name"]] = parameter["allowed"][0]
        elif parameter.get("min") is not None:
            values[parameter["name"]] = (parameter["min"] + parameter["max"]) / 2
    return values


class _SkillProbe:
    """One skill's nodes, and the states it has been seen in (via a subscription)."""

    def __init__(self, name: str, node, idx: int) -> None:
        self.name = name
        self.node = node
        self.idx = idx
        self.seen: asyncio.Queue[str] = asyncio.Queue()
        self.nodes: dict = {}
        self.start_takes_term = False

    async def load(self) -> None:
        for child in (
            SkillVariable.CURRENT_STATE,
            SkillVariable.STATE_NUMBER,
            SkillVariable.EXECUTION_ID,
            SkillVariable.PROGRESS,
            SkillVariable.ENVELOPE,
        ):
            self.nodes[child] = await self.node.get_child(f"{self.idx}:{child}")
        start = await self.node.get_child(f"{self.idx}:{M.START}")
        try:
            declared = await (await start.get_child("0:InputArguments")).read_value()
        except ua.UaError:
            declared = []
        self.start_takes_term = any(a.Name == MethodArgument.LEADER_TERM for a in declared)

    async def read(self, child: SkillVariable):
        return await self.nodes[child].read_value()

    async def state(self) -> str:
        """The state ``CurrentState`` names now (a PackML label, if the module conforms)."""
        return await self.read(SkillVariable.CURRENT_STATE)

    async def call(self, method: M, *args):
        if method is M.START and self.start_takes_term:
            # The kit leads nothing: term 0, which a module that has seen no term accepts
            # and which never raises the term the module keeps.
            args = (*args, ua.Variant(0, ua.VariantType.UInt64))
        return await self.node.call_method(f"{self.idx}:{method}", *args)

    async def wait_for(self, state: S, timeout: float) -> list[str]:
        """Seen states until ``state``; raises CheckFailed after ``timeout``."""
        trail = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    seen = await self.seen.get()
                    trail.append(seen)
                    if seen == state.label:
                        return trail
        except TimeoutError:
            now = await self.state()
            raise CheckFailed(
                f"waited {timeout:g} s for {state.label}; saw {trail}, now {now}"
            ) from None

    def drain(self) -> list[str]:
        drained = []
        while not self.seen.empty():
            drained.append(self.seen.get_nowait())
        return drained


class _Handler:
    def __init__(self, probes: dict) -> None:
        self.probes = probes  # node id -> probe

    def datachange_notification(self, node, val, data) -> None:
        probe = self.probes.get(node.nodeid)
        if probe is not None:
            probe.seen.put_nowait(val)


async def check_module(
    endpoint: str, *, timeout: float = 30.0, credentials: ClientCredentials | None = None
) -> list[CheckResult]:
    """Runs every check; ``credentials`` (the orchestrator's) for a secured module."""
    results: list[CheckResult] = []

    async def check(name: str, body: Callable[[], Awaitable[str | None]]) -> bool:
        try:
            detail = await body()
        except CheckFailed as failed:
            results.append(CheckResult(name, False, str(failed)))
            return False
        except (ua.UaError, OSError, TimeoutError) as error:
            results.append(CheckResult(name, False, f"{type(error).__name__}: {error}"))
            return False
        results.append(CheckResult(name, True, detail or ""))
        return True

    client = Client(endpoint, timeout=timeout)
    try:
        if credentials is not None:
            await secure_client(client, credentials)
        await client.connect()
    except (OSError, TimeoutError, ua.UaError) as error:
        return [CheckResult("connect", False, f"cannot connect to {endpoint}: {error}")]
    try:
        results.append(CheckResult("connect", True, endpoint))
        idx = await client.get_namespace_index(NAMESPACE_URI)
        module = await client.nodes.objects.get_child(f"{idx}:{ModuleNode.MODULE}")
        probes: dict[str, _SkillProbe] = {}

        async def information_model() -> str:
            for name in (ModuleNode.MODULE_ID, ModuleNode.VENDOR, ModuleNode.MODEL):
                value = await (await module.get_child(f"{idx}:{name}")).read_value()
                if not isinstance(value, str) or not value:
                    raise CheckFailed(f"{name} must be a non-empty String, got {value!r}")
            item_state = await (
                await module.get_child(f"{idx}:{ModuleNode.ITEM_STATE}")
            ).read_value()
            if item_state not in ITEM_STATES:
                raise CheckFailed(f"ItemState {item_state!r} is not one of {sorted(ITEM_STATES)}")
            skills = await (await module.get_child(f"{idx}:{ModuleNode.SKILLS}")).get_children()
            if not skills:
                raise CheckFailed("the Skills folder is empty")
            for node in skills:
                name = (await node.read_browse_name()).Name
                probe = _SkillProbe(name, node, idx)
                await probe.load()
                probes[name] = probe
            return f"{len(probes)} skill(s): {', '.join(probes)}"

        if not await check("information-model", information_model):
            return results

        async def telemetry() -> str:
            telemetry_folder = await module.get_child(f"{idx}:{ModuleNode.TELEMETRY}")
            variables = await telemetry_folder.get_children()
            if not variables:
                raise CheckFailed("the Telemetry folder has no variables")
            names = [(await v.read_browse_name()).Name for v in variables]
            for variable in variables:
                if not isinstance(await variable.read_value(), float):
                    raise CheckFailed("telemetry values must be Double")
            return ", ".join(names)

        await check("telemetry", telemetry)

        state_nodes = {p: p.nodes[SkillVariable.CURRENT_STATE] for p in probes.values()}
        subscription = await client.create_subscription(
            20, _Handler({node.nodeid: p for p, node in state_nodes.items()})
        )
        await subscription.subscribe_data_change(list(state_nodes.values()), queuesize=100)
        for probe in probes.values():
            await _check_skill(probe, timeout, check)
        with contextlib.suppress(Exception):
            await subscription.delete()
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()
    return results


async def _check_skill(probe: _SkillProbe, timeout: float, check) -> None:
    name = probe.name
    envelope = json.loads(await probe.read(SkillVariable.ENVELOPE))
    parameters = sample_parameters(envelope)
    quick = json.dumps({**parameters, UNITS_KEY: 1})
    long = json.dumps({**parameters, UNITS_KEY: LONG_RUN_UNITS})
    settle = min(0.3, timeout)

    async def call_expecting(method: M, expected_state: S, *args) -> None:
        await probe.call(method, *args)
        await probe.wait_for(expected_state, timeout)

    async def refused(method: M, *args) -> str:
        try:
            await probe.call(method, *args)
        except ua.UaStatusCodeError as error:
            return type(error).__name__
        return ""

    async def idle_at_start() -> str:
        state, number = await probe.state(), await probe.read(SkillVariable.STATE_NUMBER)
        if state != S.IDLE.label or number != S.IDLE:
            raise CheckFailed(f"expected Idle (4) before the checks, found {state} ({number})")
        return ""

    if not await check(f"{name}: idle", idle_at_start):
        return
    probe.drain()

    async def refuses_out_of_state() -> str:
        status = await refused(M.UNHOLD)
        if status != Refusal.BAD_INVALID_STATE:
            raise CheckFailed(f"Unhold in Idle should be BadInvalidState, got {status or 'Good'}")
        if await probe.state() != S.IDLE.label:
            raise CheckFailed("a refused command changed the state")
        return "Unhold in Idle -> BadInvalidState"

    async def refuses_bad_parameters() -> str:
        status = await refused(M.START, _new_id(), "[not, an, object")
        if status != Refusal.BAD_INVALID_ARGUMENT:
            raise CheckFailed(
                f"Start with bad JSON should be BadInvalidArgument, got {status or 'Good'}"
            )
        status = await refused(M.START, _new_id(), json.dumps({"no_such_parameter": 1}))
        if status != Refusal.BAD_INVALID_ARGUMENT:
            raise CheckFailed(
                "Start with an unknown parameter should be BadInvalidArgument, "
                f"got {status or 'Good'}"
            )
        return ""

    execution = _new_id()

    async def runs_to_complete() -> str:
        accepted = await probe.call(M.START, execution, quick)
        if accepted is not True:
            raise CheckFailed(f"Start returned {accepted!r}, expected True")
        trail = await probe.wait_for(S.COMPLETE, timeout)
        if S.EXECUTE.label not in trail:
            raise CheckFailed(f"Execute was never seen on the way to Complete: {trail}")
        if await probe.read(SkillVariable.EXECUTION_ID) != execution:
            raise CheckFailed("ExecutionId does not name the execution")
        return " -> ".join(trail)

    async def start_is_idempotent() -> str:
        probe.drain()
        status = await refused(M.START, execution, quick)
        if status:
            raise CheckFailed(
                f"a repeated Start of the completed execution was refused ({status}); "
                "it must be acknowledged without running again"
            )
        await asyncio.sleep(settle)
        if probe.drain():
            raise CheckFailed("a repeated Start changed the state: the work ran again")
        await call_expecting(M.RESET, S.IDLE)
        await probe.call(M.START, execution, quick)  # once more, now in Idle
        await asyncio.sleep(settle)
        again = probe.drain()
        if again:
            raise CheckFailed(f"a repeated execution id ran again after Reset: {again}")
        return "repeated id acknowledged, never re-run"

    async def back_to_idle() -> None:
        """Bring the skill back to Idle, so one failed check does not fail the next."""
        state = S.from_label(await probe.state())
        if state in (S.ABORTING, S.ABORTED):
            await probe.wait_for(S.ABORTED, timeout) if state is S.ABORTING else None
            await call_expecting(M.CLEAR, S.STOPPED)
            state = S.STOPPED
        elif state not in (S.IDLE, S.COMPLETE, S.STOPPED):
            await call_expecting(M.STOP, S.STOPPED)
            state = S.STOPPED
        if state is not S.IDLE:
            await call_expecting(M.RESET, S.IDLE)
        probe.drain()

    async def hold_unhold_stop() -> str:
        await back_to_idle()
        await call_expecting(M.START, S.EXECUTE, _new_id(), long)
        await call_expecting(M.HOLD, S.HELD)
        if await probe.read(SkillVariable.STATE_NUMBER) != S.HELD:
            raise CheckFailed(f"StateNumber is not {int(S.HELD)} in Held")
        await call_expecting(M.UNHOLD, S.EXECUTE)
        await call_expecting(M.SUSPEND, S.SUSPENDED)
        await call_expecting(M.UNSUSPEND, S.EXECUTE)
        await call_expecting(M.STOP, S.STOPPED)
        await call_expecting(M.RESET, S.IDLE)
        return ""

    async def abort_and_clear() -> str:
        await back_to_idle()
        await call_expecting(M.START, S.EXECUTE, _new_id(), long)
        await call_expecting(M.ABORT, S.ABORTED)
        status = await refused(M.RESET)
        if status != Refusal.BAD_INVALID_STATE:
            raise CheckFailed(f"Reset in Aborted should be BadInvalidState, got {status or 'Good'}")
        await call_expecting(M.CLEAR, S.STOPPED)
        await call_expecting(M.RESET, S.IDLE)
        return ""

    async def to_complete() -> str:
        await back_to_idle()
        await call_expecting(M.START, S.EXECUTE, _new_id(), long)
        await call_expecting(M.TO_COMPLETE, S.COMPLETE)
        await call_expecting(M.RESET, S.IDLE)
        return ""

    await check(f"{name}: refuses commands out of state", refuses_out_of_state)
    await check(f"{name}: refuses bad parameters", refuses_bad_parameters)
    if await check(f"{name}: start runs to complete", runs_to_complete):
        await check(f"{name}: start is idempotent", start_is_idempotent)
    await check(f"{name}: hold, suspend, stop, reset", hold_unhold_stop)
    await check(f"{name}: abort and clear", abort_and_clear)
    await check(f"{name}: to complete", to_complete)


def _new_id() -> str:
    return f"conformance-{uuid.uuid4().hex[:12]}"
