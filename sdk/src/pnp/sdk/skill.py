"""One skill at run time: its PackML state machine, the running execution, its history.

The vendor writes a handler, ``async def handler(ctx: SkillContext) -> dict | None``;
the runtime calls it when Start is accepted and drives the state machine around it:
the handler returning completes the execution, raising aborts it, Hold and Suspend
pause it at its next ``ctx.sleep`` or ``ctx.checkpoint``, Stop and Abort cancel it.

``start`` is idempotent per execution id: an id this skill has seen before is
acknowledged again but never run twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pnp.sdk.descriptors import CapabilitySpec
from pnp.sdk.packml import BUSY, Command, CommandRefused, State, complete_acting, next_state
from pnp.v1.opcua import ExecutionOutcome

log = logging.getLogger(__name__)

MAX_PARAMETERS_JSON = 64 * 1024
# Reserved key in parametersJson: how many units this execution processes (a lot).
# It starts with "_", which no declared parameter name may, so it never clashes.
UNITS_KEY = "_units"
REMEMBERED_EXECUTIONS = 10_000
CANCEL_GRACE_SECONDS = 5.0


class Interrupted(Exception):
    """Raised inside a handler when its execution is stopped or aborted."""


class InvalidParameters(ValueError):
    """Start was called with parameters the capability's envelope does not accept."""


@dataclass
class Execution:
    execution_id: str
    parameters: dict[str, Any]
    units: int = 1
    outcome: ExecutionOutcome = ExecutionOutcome.RUNNING  # running | complete | stopped | aborted
    results: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class SkillContext:
    """What a handler gets: its parameters, and ways to report and to pause."""

    def __init__(self, runtime: SkillRuntime, execution: Execution) -> None:
        self._runtime = runtime
        self.execution_id = execution.execution_id
        self.parameters = execution.parameters
        self.units = execution.units
        self.capability = runtime.capability.name

    @property
    def time_scale(self) -> float:
        return self._runtime.time_scale

    def progress(self, fraction: float) -> None:
        """Report progress, 0..1 (clamped)."""
        self._runtime.set_progress(fraction)

    def telemetry(self, name: str, value: float) -> None:
        """Set a module telemetry value (e.g. PowerKw)."""
        self._runtime.on_telemetry(name, float(value))

    async def checkpoint(self) -> None:
        """Wait here while held or suspended; raise Interrupted if stopped or aborted."""
        await self._runtime.wait_until_running()

    async def sleep(self, factory_seconds: float) -> None:
        """Spend ``factory_seconds`` of factory time (scaled by the module's time scale).

        Time spent held or suspended does not count.
        """
        remaining = max(0.0, factory_seconds) / self._runtime.time_scale
        loop = asyncio.get_running_loop()
        while remaining > 0:
            await self.checkpoint()
            started = loop.time()
            paused = self._runtime.paused_event()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that races with the event, and the handler would never stop.
            try:
                async with asyncio.timeout(remaining):
                    await paused.wait()
            except TimeoutError:
                return
            remaining -= loop.time() - started


Handler = Callable[[SkillContext], Awaitable[dict[str, Any] | None]]
StateListener = Callable[["SkillRuntime"], Awaitable[None]]


class SkillRuntime:
    def __init__(
        self,
        capability: CapabilitySpec,
        handler: Handler,
        *,
        time_scale: float = 1.0,
        on_change: StateListener | None = None,
        on_telemetry: Callable[[str, float], None] | None = None,
        on_start: Callable[[Execution], None] | None = None,
    ) -> None:
        if time_scale <= 0 or not math.isfinite(time_scale):
            raise ValueError("time_scale must be a positive number")
        self.capability = capability
        self.handler = handler
        self.time_scale = time_scale
        self.state = State.IDLE
        self.progress = 0.0
        self.current: Execution | None = None
        self.history: OrderedDict[str, Execution] = OrderedDict()
        self.on_telemetry = on_telemetry or (lambda _name, _value: None)
        self._on_change = on_change
        self._on_start = on_start or (lambda _execution: None)
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self._running = asyncio.Event()  # set while Execute
        self._paused = asyncio.Event()  # set while not Execute (wakes sleepers)
        self._paused.set()
        self.executions_started = 0
        self._publishing: set[asyncio.Task] = set()

    # -- commands ---------------------------------------------------------------------

    async def start(self, execution_id: str, parameters_json: str) -> bool:
        """Start an execution; True when accepted (or accepted before, for a repeated id)."""
        async with self._lock:
            if execution_id in self.history:
                return True  # idempotent: acknowledged again, never run twice
            if not execution_id or len(execution_id) > 200:
                raise InvalidParameters("executionId must be 1..200 characters")
            parameters, units = self._parse(parameters_json)
            state = next_state(self.state, Command.START)  # refuses unless Idle
            execution = Execution(execution_id, parameters, units)
            self._remember(execution)
            self.current = execution
            self.progress = 0.0
            self.executions_started += 1
            self._on_start(execution)
            await self._enter(state)  # Starting
            await self._enter(complete_acting(state))  # Execute
            self._task = asyncio.create_task(self._execute(execution), name=execution_id)
            return True

    def outcome_of(self, execution_id: str) -> tuple[ExecutionOutcome, dict[str, Any]]:
        """What became of an execution: running, complete, stopped, aborted, or unknown
        (never started here, or forgotten); with its results when complete.

        An orchestrator restarted after a crash asks this about the executions it had
        in flight, rather than guess from the skill's state."""
        execution = self.history.get(execution_id)
        if execution is None:
            return ExecutionOutcome.UNKNOWN, {}
        return execution.outcome, dict(execution.results)

    async def command(self, command: Command) -> None:
        """Any command but Start; raises CommandRefused when not allowed now."""
        async with self._lock:
            target = next_state(self.state, command)
            await self._enter(target)
            if command in (Command.STOP, Command.ABORT, Command.COMPLETE):
                await self._cancel_handler()
                if self.current is not None and self.current.outcome is ExecutionOutcome.RUNNING:
                    self.current.outcome = {
                        Command.STOP: ExecutionOutcome.STOPPED,
                        Command.ABORT: ExecutionOutcome.ABORTED,
                        Command.COMPLETE: ExecutionOutcome.COMPLETE,
                    }[command]
            await self._enter(complete_acting(target))

    # -- handler side -----------------------------------------------------------------

    async def wait_until_running(self) -> None:
        while not self._running.is_set():
            if self.state not in BUSY:
                raise Interrupted(f"execution interrupted ({self.state.label})")
            await self._running.wait()

    def paused_event(self) -> asyncio.Event:
        return self._paused

    def set_progress(self, fraction: float) -> None:
        self.progress = min(1.0, max(0.0, float(fraction)))
        if self._on_change is not None:
            # Progress is published in the background: a handler must not wait on OPC UA.
            task = asyncio.get_running_loop().create_task(self._on_change(self))
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)

    async def _execute(self, execution: Execution) -> None:
        context = SkillContext(self, execution)
        try:
            results = await self.handler(context)
        except (Interrupted, asyncio.CancelledError):
            return  # Stop/Abort/Complete already moved the state machine
        except Exception as error:
            log.warning("%s %s failed: %s", self.capability.name, execution.execution_id, error)
            async with self._lock:
                execution.outcome, execution.error = ExecutionOutcome.ABORTED, str(error)
                if self.state not in (State.ABORTING, State.ABORTED):
                    await self._enter(State.ABORTING)
                    await self._enter(State.ABORTED)
            return
        async with self._lock:
            if self.state is not State.EXECUTE or self.current is not execution:
                return
            execution.outcome = ExecutionOutcome.COMPLETE
            execution.results = dict(results or {})
            self.progress = 1.0
            await self._enter(State.COMPLETING)
            await self._enter(State.COMPLETE)

    async def _cancel_handler(self) -> None:
        task, self._task = self._task, None
        if task is None or task is asyncio.current_task() or task.done():
            return
        task.cancel()
        # A handler that swallows its cancellation must not hang the state machine.
        done, _ = await asyncio.wait({task}, timeout=CANCEL_GRACE_SECONDS)
        if not done:
            log.error(
                "%s: the handler of %s ignored its cancellation; abandoning it",
                self.capability.name,
                self.current.execution_id if self.current else "?",
            )

    async def close(self) -> None:
        await self._cancel_handler()

    # -- state ------------------------------------------------------------------------

    async def _enter(self, state: State) -> None:
        if state is self.state:
            return
        self.state = state
        if state is State.EXECUTE:
            self._running.set()
            self._paused.clear()
        else:
            self._running.clear()
            self._paused.set()
        if state is State.IDLE:
            self.current = None
            self.progress = 0.0
        if self._on_change is not None:
            await self._on_change(self)

    def _parse(self, parameters_json: str) -> tuple[dict[str, Any], int]:
        if len(parameters_json) > MAX_PARAMETERS_JSON:
            raise InvalidParameters("parametersJson is too large")
        try:
            parameters = json.loads(parameters_json or "{}")
        except ValueError as error:
            raise InvalidParameters(f"parametersJson is not JSON: {error}") from None
        if not isinstance(parameters, dict):
            raise InvalidParameters("parametersJson must be a JSON object")
        units = parameters.pop(UNITS_KEY, 1)
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= 1_000_000:
            raise InvalidParameters(f"{UNITS_KEY} must be an integer 1..1000000")
        gaps = self.capability.envelope_gaps(parameters)
        if gaps:
            raise InvalidParameters("; ".join(gaps))
        return parameters, units

    def _remember(self, execution: Execution) -> None:
        self.history[execution.execution_id] = execution
        while len(self.history) > REMEMBERED_EXECUTIONS:
            self.history.popitem(last=False)


__all__ = [
    "CommandRefused",
    "Execution",
    "Handler",
    "Interrupted",
    "InvalidParameters",
    "SkillContext",
    "SkillRuntime",
]
