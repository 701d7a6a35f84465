"""The conformance kit: what a module must get right over OPC UA before it plugs in.

``await check_module(endpoint)`` connects as a client, exactly as the orchestrator
would, and exercises every skill: the information model, refused commands, parameter
checks, Start to Complete seen through a subscription, idempotent Start, the Hold,
Stop, Abort/Clear and ToComplete paths, and telemetry. Each check passes or fails
with its name and what was seen. ``pnp module check ENDPOINT`` prints the report.

Every check stands alone: it brings its skill to Idle first, starts the executions it
needs itself (never one an earlier check left behind), and brings the skill back to
Idle afterwards, pass or fail. So a check gives the same verdict run alone on a freshly
started module, after the whole kit, or in any order (``only=``, ``shuffle=``); the
tests run them so. The telemetry check, for one, runs an execution of its own when the
Telemetry folder is still empty, since a module may publish its values from inside a
skill.

The long-running paths start an execution with ``_units`` set high so that it is
still executing when the next command arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Collection
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
TELEMETRY = "telemetry"
# The checks run on every skill, named "<capability>: <check>" in the results.
SKILL_CHECKS = (
    "idle",
    "refuses commands out of state",
    "refuses bad parameters",
    "start runs to complete",
    "start is idempotent",
    "hold, suspend, stop, reset",
    "abort and clear",
    "to complete",
)
CHECKS = (TELEMETRY, *SKILL_CHECKS)
_POLL = 0.02  # seconds between reads while waiting for a state without the subscription


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""


class CheckFailed(Exception):
    pass


class UnknownCheck(ValueError):
    """``only`` named a check the kit does not have (for this module's skills)."""


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

    def __init__(self, name: str, node, idx: int, timeout: float) -> None:
        self.name = name
        self.node = node
        self.idx = idx
        self.timeout = timeout
        self.seen: asyncio.Queue[str] = asyncio.Queue()
        self.nodes: dict = {}
        self.quick = self.long = ""  # Start parameters: one unit, and far too many to finish
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
        parameters = sample_parameters(json.loads(await self.read(SkillVariable.ENVELOPE)))
        self.quick = json.dumps({**parameters, UNITS_KEY: 1})
        self.long = json.dumps({**parameters, UNITS_KEY: LONG_RUN_UNITS})
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

    async def refused(self, method: M, *args) -> str:
        """The name of the status the call was refused with, "" when it was accepted."""
        try:
            await self.call(method, *args)
        except ua.UaStatusCodeError as error:
            return type(error).__name__
        return ""

    async def wait_for(self, state: S) -> list[str]:
        """Seen states until ``state``; raises CheckFailed after the timeout."""
        trail = []
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    seen = await self.seen.get()
                    trail.append(seen)
                    if seen == state.label:
                        return trail
        except TimeoutError:
            now = await self.state()
            raise CheckFailed(
                f"waited {self.timeout:g} s for {state.label}; saw {trail}, now {now}"
            ) from None

    async def call_expecting(self, method: M, state: S, *args) -> None:
        await self.call(method, *args)
        await self.wait_for(state)

    async def until(self, state: S) -> None:
        """Waits, by reading, until CurrentState is ``state``: for restoring, where what
        the subscription saw earlier does not matter."""
        # A deadline rather than asyncio.timeout around asyncua reads (see ``_telemetry``).
        deadline = asyncio.get_running_loop().time() + self.timeout
        while await self.state() != state.label:
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"{self.name} not {state.label} after {self.timeout:g} s")
            await asyncio.sleep(_POLL)

    def drain(self) -> list[str]:
        drained = []
        while not self.seen.empty():
            drained.append(self.seen.get_nowait())
        return drained

    async def to_idle(self) -> None:
        """Brings the skill to Idle from wherever it is, and forgets what was seen."""
        state = S.from_label(await self.state())
        if state is S.ABORTING:
            await self.until(S.ABORTED)
            state = S.ABORTED
        if state is S.ABORTED:
            await self.call(M.CLEAR)
            await self.until(S.STOPPED)
        elif state in (S.RESETTING, S.CLEARING, S.STOPPING, S.COMPLETING):
            await self.until(S.IDLE if state is S.RESETTING else _SETTLES_IN[state])
        elif state not in (S.IDLE, S.COMPLETE, S.STOPPED):
            await self.call(M.STOP)
            await self.until(S.STOPPED)
        if await self.state() != S.IDLE.label:
            await self.call(M.RESET)
            await self.until(S.IDLE)
        self.drain()

    async def run_once(self, execution_id: str) -> list[str]:
        """Starts a one-unit execution from Idle and waits for Complete; the trail."""
        accepted = await self.call(M.START, execution_id, self.quick)
        if accepted is not True:
            raise CheckFailed(f"Start returned {accepted!r}, expected True")
        return await self.wait_for(S.COMPLETE)


_SETTLES_IN = {S.CLEARING: S.STOPPED, S.STOPPING: S.STOPPED, S.COMPLETING: S.COMPLETE}


class _Handler:
    def __init__(self, probes: dict) -> None:
        self.probes = probes  # node id -> probe

    def datachange_notification(self, node, val, data) -> None:
        probe = self.probes.get(node.nodeid)
        if probe is not None:
            probe.seen.put_nowait(val)


Body = Callable[[], Awaitable[str | None]]


async def check_module(
    endpoint: str,
    *,
    timeout: float = 30.0,
    credentials: ClientCredentials | None = None,
    only: Collection[str] | None = None,
    shuffle: random.Random | None = None,
) -> list[CheckResult]:
    """Runs the checks; ``credentials`` (the orchestrator's) for a secured module.

    ``only``: the checks to run, each a name of ``CHECKS`` (on every skill) or a full
    result name such as ``"cutting.laser: abort and clear"``; UnknownCheck when one
    matches nothing. ``shuffle``: runs the checks in an order drawn from it. Connecting
    and reading the information model always come first: the rest need what they find.
    """
    results: list[CheckResult] = []

    async def check(name: str, body: Body) -> bool:
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
                probe = _SkillProbe(name, node, idx, timeout)
                await probe.load()
                probes[name] = probe
            return f"{len(probes)} skill(s): {', '.join(probes)}"

        if not await check("information-model", information_model):
            return results

        planned = _planned_checks(module, idx, probes)
        planned = _selected(planned, only)
        if shuffle is not None:
            shuffle.shuffle(planned)

        state_nodes = {p: p.nodes[SkillVariable.CURRENT_STATE] for p in probes.values()}
        subscription = await client.create_subscription(
            20, _Handler({node.nodeid: p for p, node in state_nodes.items()})
        )
        await subscription.subscribe_data_change(list(state_nodes.values()), queuesize=100)
        for name, probe, body in planned:
            await check(name, body)
            if probe is not None:  # leave the skill at rest for whatever runs next
                with contextlib.suppress(CheckFailed, ua.UaError, OSError, TimeoutError):
                    await probe.to_idle()
        with contextlib.suppress(Exception):
            await subscription.delete()
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()
    return results


def _selected(
    planned: list[tuple[str, _SkillProbe | None, Body]], only: Collection[str] | None
) -> list[tuple[str, _SkillProbe | None, Body]]:
    if only is None:
        return planned
    wanted = set(only)
    unknown = sorted(
        w for w in wanted if w not in CHECKS and w not in {name for name, _, _ in planned}
    )
    if unknown:
        raise UnknownCheck(
            f"no such check: {', '.join(unknown)}; the checks are: {', '.join(CHECKS)}"
        )
    return [entry for entry in planned if {entry[0], entry[0].partition(": ")[2]} & wanted]


def _planned_checks(module, idx: int, probes: dict[str, _SkillProbe]):
    """Every check as (result name, the skill it leaves to rest or None, body), in the
    kit's own order."""
    planned: list[tuple[str, _SkillProbe | None, Body]] = [
        (TELEMETRY, None, lambda: _telemetry(module, idx, next(iter(probes.values()))))
    ]
    for probe in probes.values():
        bodies = _skill_checks(probe)
        planned += [(f"{probe.name}: {name}", probe, bodies[name]) for name in SKILL_CHECKS]
    return planned


async def _telemetry(module, idx: int, probe: _SkillProbe) -> str:
    """The Telemetry folder holds Doubles. A module may publish them only while it works,
    so an empty folder gets one execution of the first skill before it counts as empty."""
    folder = await module.get_child(f"{idx}:{ModuleNode.TELEMETRY}")
    variables = await folder.get_children()
    ran = ""
    if not variables:
        await probe.to_idle()
        await probe.run_once(_new_id())
        await probe.call_expecting(M.RESET, S.IDLE)
        ran = f" (published by an execution of {probe.name})"
        # Values are published just after Complete: poll for a while. A deadline, not
        # asyncio.timeout: cancelling an asyncua request that has just been answered
        # raises a subclass of CancelledError that asyncio.timeout does not turn into
        # TimeoutError, so the check would end as if the caller had been cancelled.
        deadline = asyncio.get_running_loop().time() + min(probe.timeout, 2.0)
        while not (variables := await folder.get_children()):
            if asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(_POLL)
    if not variables:
        raise CheckFailed(
            f"the Telemetry folder has no variables, even after an execution of {probe.name}"
        )
    names = [(await v.read_browse_name()).Name for v in variables]
    for variable, name in zip(variables, names, strict=True):
        if not isinstance(await variable.read_value(), float):
            raise CheckFailed(f"telemetry value {name} must be a Double")
    return ", ".join(names) + ran


def _skill_checks(probe: _SkillProbe) -> dict[str, Body]:
    """The bodies of SKILL_CHECKS for one skill; each one starts from Idle."""
    settle = min(0.3, probe.timeout)

    async def idle() -> str:
        state, number = await probe.state(), await probe.read(SkillVariable.STATE_NUMBER)
        if state != S.IDLE.label or number != S.IDLE:
            raise CheckFailed(f"expected Idle (4) at rest, found {state} ({number})")
        return ""

    async def refuses_out_of_state() -> str:
        await probe.to_idle()
        status = await probe.refused(M.UNHOLD)
        if status != Refusal.BAD_INVALID_STATE:
            raise CheckFailed(f"Unhold in Idle should be BadInvalidState, got {status or 'Good'}")
        if await probe.state() != S.IDLE.label:
            raise CheckFailed("a refused command changed the state")
        return "Unhold in Idle -> BadInvalidState"

    async def refuses_bad_parameters() -> str:
        await probe.to_idle()
        status = await probe.refused(M.START, _new_id(), "[not, an, object")
        if status != Refusal.BAD_INVALID_ARGUMENT:
            raise CheckFailed(
                f"Start with bad JSON should be BadInvalidArgument, got {status or 'Good'}"
            )
        status = await probe.refused(M.START, _new_id(), json.dumps({"no_such_parameter": 1}))
        if status != Refusal.BAD_INVALID_ARGUMENT:
            raise CheckFailed(
                "Start with an unknown parameter should be BadInvalidArgument, "
                f"got {status or 'Good'}"
            )
        return ""

    async def runs_to_complete() -> str:
        await probe.to_idle()
        execution = _new_id()
        trail = await probe.run_once(execution)
        if S.EXECUTE.label not in trail:
            raise CheckFailed(f"Execute was never seen on the way to Complete: {trail}")
        if await probe.read(SkillVariable.EXECUTION_ID) != execution:
            raise CheckFailed("ExecutionId does not name the execution")
        return " -> ".join(trail)

    async def start_is_idempotent() -> str:
        await probe.to_idle()
        execution = _new_id()
        await probe.run_once(execution)  # its own execution, never an earlier check's
        probe.drain()
        status = await probe.refused(M.START, execution, probe.quick)
        if status:
            raise CheckFailed(
                f"a repeated Start of the completed execution was refused ({status}); "
                "it must be acknowledged without running again"
            )
        await asyncio.sleep(settle)
        if probe.drain():
            raise CheckFailed("a repeated Start changed the state: the work ran again")
        await probe.call_expecting(M.RESET, S.IDLE)
        await probe.call(M.START, execution, probe.quick)  # once more, now in Idle
        await asyncio.sleep(settle)
        again = probe.drain()
        if again:
            raise CheckFailed(f"a repeated execution id ran again after Reset: {again}")
        return "repeated id acknowledged, never re-run"

    async def hold_unhold_stop() -> str:
        await probe.to_idle()
        await probe.call_expecting(M.START, S.EXECUTE, _new_id(), probe.long)
        await probe.call_expecting(M.HOLD, S.HELD)
        if await probe.read(SkillVariable.STATE_NUMBER) != S.HELD:
            raise CheckFailed(f"StateNumber is not {int(S.HELD)} in Held")
        await probe.call_expecting(M.UNHOLD, S.EXECUTE)
        await probe.call_expecting(M.SUSPEND, S.SUSPENDED)
        await probe.call_expecting(M.UNSUSPEND, S.EXECUTE)
        await probe.call_expecting(M.STOP, S.STOPPED)
        await probe.call_expecting(M.RESET, S.IDLE)
        return ""

    async def abort_and_clear() -> str:
        await probe.to_idle()
        await probe.call_expecting(M.START, S.EXECUTE, _new_id(), probe.long)
        await probe.call_expecting(M.ABORT, S.ABORTED)
        status = await probe.refused(M.RESET)
        if status != Refusal.BAD_INVALID_STATE:
            raise CheckFailed(f"Reset in Aborted should be BadInvalidState, got {status or 'Good'}")
        await probe.call_expecting(M.CLEAR, S.STOPPED)
        await probe.call_expecting(M.RESET, S.IDLE)
        return ""

    async def to_complete() -> str:
        await probe.to_idle()
        await probe.call_expecting(M.START, S.EXECUTE, _new_id(), probe.long)
        await probe.call_expecting(M.TO_COMPLETE, S.COMPLETE)
        await probe.call_expecting(M.RESET, S.IDLE)
        return ""

    return dict(
        zip(
            SKILL_CHECKS,
            (
                idle,
                refuses_out_of_state,
                refuses_bad_parameters,
                runs_to_complete,
                start_is_idempotent,
                hold_unhold_stop,
                abort_and_clear,
                to_complete,
            ),
            strict=True,
        )
    )


def _new_id() -> str:
    return f"conformance-{uuid.uuid4().hex[:12]}"
