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
from pnp.sdk.opcua_server import NAMESPACE_URI
from pnp.sdk.packml import State
from pnp.sdk.security import ClientCredentials
from pnp.sdk.skill import UNITS_KEY

ITEM_STATES = {"NotAvailable", "OutOfService", "NotExecuting", "Executing"}
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

    async def load(self) -> None:
        for child in ("CurrentState", "StateNumber", "ExecutionId", "Progress", "Envelope"):
            self.nodes[child] = await self.node.get_child(f"{self.idx}:{child}")

    async def read(self, child: str):
        return await self.nodes[child].read_value()

    async def call(self, method: str, *args):
        return await self.node.call_method(f"{self.idx}:{method}", *args)

    async def wait_for(self, state: str, timeout: float) -> list[str]:
        """Seen states until ``state``; raises CheckFailed after ``timeout``."""
        trail = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    seen = await self.seen.get()
                    trail.append(seen)
                    if seen == state:
                        return trail
        except TimeoutError:
            now = await self.read("CurrentState")
            raise CheckFailed(f"waited {timeout:g} s for {state}; saw {trail}, now {now}") from None

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
        module = await client.nodes.objects.get_child(f"{idx}:Module")
        probes: dict[str, _SkillProbe] = {}

        async def information_model() -> str:
            for name in ("ModuleId", "Vendor", "Model"):
                value = await (await module.get_child(f"{idx}:{name}")).read_value()
                if not isinstance(value, str) or not value:
                    raise CheckFailed(f"{name} must be a non-empty String, got {value!r}")
            item_state = await (await module.get_child(f"{idx}:ItemState")).read_value()
            if item_state not in ITEM_STATES:
                raise CheckFailed(f"ItemState {item_state!r} is not one of {sorted(ITEM_STATES)}")
            skills = await (await module.get_child(f"{idx}:Skills")).get_children()
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
            variables = await (await module.get_child(f"{idx}:Telemetry")).get_children()
            if not variables:
                raise CheckFailed("the Telemetry folder has no variables")
            names = [(await v.read_browse_name()).Name for v in variables]
            for variable in variables:
                if not isinstance(await variable.read_value(), float):
                    raise CheckFailed("telemetry values must be Double")
            return ", ".join(names)

        await check("telemetry", telemetry)

        subscription = await client.create_subscription(
            20, _Handler({p.nodes["CurrentState"].nodeid: p for p in probes.values()})
        )
        await subscription.subscribe_data_change(
            [p.nodes["CurrentState"] for p in probes.values()], queuesize=100
        )
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
    envelope = json.loads(await probe.read("Envelope"))
    parameters = sample_parameters(envelope)
    quick = json.dumps({**parameters, UNITS_KEY: 1})
    long = json.dumps({**parameters, UNITS_KEY: LONG_RUN_UNITS})
    settle = min(0.3, timeout)

    async def call_expecting(method: str, expected_state: str, *args) -> None:
        await probe.call(method, *args)
        await probe.wait_for(expected_state, timeout)

    async def refused(method: str, *args) -> str:
        try:
            await probe.call(method, *args)
        except ua.UaStatusCodeError as error:
            return type(error).__name__
        return ""

    async def idle_at_start() -> str:
        state, number = await probe.read("CurrentState"), await probe.read("StateNumber")
        if state != State.IDLE.label or number != State.IDLE:
            raise CheckFailed(f"expected Idle (4) before the checks, found {state} ({number})")
        return ""

    if not await check(f"{name}: idle", idle_at_start):
        return
    probe.drain()

    async def refuses_out_of_state() -> str:
        status = await refused("Unhold")
        if status != "BadInvalidState":
            raise CheckFailed(f"Unhold in Idle should be BadInvalidState, got {status or 'Good'}")
        if await probe.read("CurrentState") != "Idle":
            raise CheckFailed("a refused command changed the state")
        return "Unhold in Idle -> BadInvalidState"

    async def refuses_bad_parameters() -> str:
        status = await refused("Start", _new_id(), "[not, an, object")
        if status != "BadInvalidArgument":
            raise CheckFailed(
                f"Start with bad JSON should be BadInvalidArgument, got {status or 'Good'}"
            )
        status = await refused("Start", _new_id(), json.dumps({"no_such_parameter": 1}))
        if status != "BadInvalidArgument":
            raise CheckFailed(
                "Start with an unknown parameter should be BadInvalidArgument, "
                f"got {status or 'Good'}"
            )
        return ""

    execution = _new_id()

    async def runs_to_complete() -> str:
        accepted = await probe.call("Start", execution, quick)
        if accepted is not True:
            raise CheckFailed(f"Start returned {accepted!r}, expected True")
        trail = await probe.wait_for("Complete", timeout)
        if "Execute" not in trail:
            raise CheckFailed(f"Execute was never seen on the way to Complete: {trail}")
        if await probe.read("ExecutionId") != execution:
            raise CheckFailed("ExecutionId does not name the execution")
        return " -> ".join(trail)

    async def start_is_idempotent() -> str:
        probe.drain()
        status = await refused("Start", execution, quick)
        if status:
            raise CheckFailed(
                f"a repeated Start of the completed execution was refused ({status}); "
                "it must be acknowledged without running again"
            )
        await asyncio.sleep(settle)
        if probe.drain():
            raise CheckFailed("a repeated Start changed the state: the work ran again")
        await call_expecting("Reset", "Idle")
        await probe.call("Start", execution, quick)  # once more, now in Idle
        await asyncio.sleep(settle)
        again = probe.drain()
        if again:
            raise CheckFailed(f"a repeated execution id ran again after Reset: {again}")
        return "repeated id acknowledged, never re-run"

    async def back_to_idle() -> None:
        """Bring the skill back to Idle, so one failed check does not fail the next."""
        state = await probe.read("CurrentState")
        if state in ("Aborting", "Aborted"):
            await probe.wait_for("Aborted", timeout) if state == "Aborting" else None
            await call_expecting("Clear", "Stopped")
            state = "Stopped"
        elif state not in ("Idle", "Complete", "Stopped"):
            await call_expecting("Stop", "Stopped")
            state = "Stopped"
        if state != "Idle":
            await call_expecting("Reset", "Idle")
        probe.drain()

    async def hold_unhold_stop() -> str:
        await back_to_idle()
        await call_expecting("Start", "Execute", _new_id(), long)
        await call_expecting("Hold", "Held")
        if await probe.read("StateNumber") != State.HELD:
            raise CheckFailed("StateNumber is not 11 in Held")
        await call_expecting("Unhold", "Execute")
        await call_expecting("Suspend", "Suspended")
        await call_expecting("Unsuspend", "Execute")
        await call_expecting("Stop", "Stopped")
        await call_expecting("Reset", "Idle")
        return ""

    async def abort_and_clear() -> str:
        await back_to_idle()
        await call_expecting("Start", "Execute", _new_id(), long)
        await call_expecting("Abort", "Aborted")
        status = await refused("Reset")
        if status != "BadInvalidState":
            raise CheckFailed(f"Reset in Aborted should be BadInvalidState, got {status or 'Good'}")
        await call_expecting("Clear", "Stopped")
        await call_expecting("Reset", "Idle")
        return ""

    async def to_complete() -> str:
        await back_to_idle()
        await call_expecting("Start", "Execute", _new_id(), long)
        await call_expecting("ToComplete", "Complete")
        await call_expecting("Reset", "Idle")
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
