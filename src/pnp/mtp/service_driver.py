"""One MTP service run through its state machine (VDI/VDE/NAMUR 2658-4), as a POL does it.

The handshake, in order:

1. the service's mode: a POL commands through the *external* channel, so the service is
   switched to Automatic (``StateAutOp``) and source External (``SrcExtOp``), confirmed
   by ``StateAutAct``/``SrcExtAct``; a manifest that binds only the operator channel is
   driven in Operator mode (``StateOpOp``/``StateOpAct``, ``CommandOp``/``ProcedureOp``/
   ``VOp``). Mode switches whose variables the manifest does not bind are skipped: the
   PEA is then expected to be in that mode already;
2. a service left Completed, Stopped or Aborted by an earlier run is Reset to Idle;
3. the procedure: ``ProcedureExt`` = its ID, confirmed by ``ProcedureReq``;
4. the parameters: ``VExt`` of each, confirmed by ``VReq`` (a PEA keeps the old value
   when it refuses one, e.g. out of its limits);
5. ``CommandExt`` = Start (if ``CommandEn`` allows it), then ``StateCur`` is watched:
   Completed is success; Stopping/Stopped/Aborting/Aborted, or Idle again, is failure;
   a procedure that does not complete by itself is sent Complete when its planned time
   has passed;
6. the report values are read, and the service is Reset to Idle for the next run.

``StateCur`` is polled (every ``poll_interval``): a read that fails is also how a lost
PEA is noticed. Every wait has a bound (``step_timeout``) except the run itself.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from pnp.mtp.codes import FAILED, FINISHED, ServiceCommand, ServiceState, command_enabled, state_of
from pnp.mtp.descriptor import NodeAddress, ParameterBinding, ProcedureBinding, ServiceBinding
from pnp.mtp.pea_client import PeaConnection, PeaRefused

ProgressListener = Callable[[float], None]


class ServiceFailed(RuntimeError):
    """The service did not do the work: it stopped, aborted, or refused to start."""


class ServiceDriver:
    def __init__(
        self,
        pea: PeaConnection,
        binding: ServiceBinding,
        *,
        poll_interval: float = 0.1,
        step_timeout: float = 10.0,
    ) -> None:
        self.pea = pea
        self.binding = binding
        self.poll_interval = poll_interval
        self.step_timeout = step_timeout
        external = all(n in binding.control for n in ("CommandExt", "ProcedureExt"))
        self.channel = "external" if external else "operator"
        self._suffix = "Ext" if external else "Op"

    @property
    def name(self) -> str:
        return self.binding.service

    def _node(self, name: str) -> NodeAddress | None:
        return self.binding.control.get(name)

    async def state(self) -> ServiceState:
        address = self.binding.control["StateCur"]
        word = await self.pea.read(address)
        state = state_of(int(word))
        if state is None:
            raise PeaRefused(f"{self.name}: StateCur {word!r} is not a state of 2658-4")
        return state

    # -- before the run ---------------------------------------------------------------------

    async def start(self, procedure: ProcedureBinding, values: dict[str, Any]) -> None:
        """Steps 1 to 5 up to the accepted Start."""
        await self._take_control()
        await self._to_idle()
        await self._select(procedure)
        for parameter, value in self._parameters(procedure, values):
            await self._write_parameter(parameter, value)
        await self.command(ServiceCommand.START)
        await self._wait_state(
            lambda s: s is not ServiceState.IDLE, f"{self.name} did not leave Idle after Start"
        )

    async def _take_control(self) -> None:
        if self.channel == "external":
            await self._switch("StateAutOp", "StateAutAct", "Automatic mode")
            await self._switch("SrcExtOp", "SrcExtAct", "source External")
        else:
            await self._switch("StateOpOp", "StateOpAct", "Operator mode")

    async def _switch(self, request: str, confirmation: str, what: str) -> None:
        confirm = self._node(confirmation)
        if confirm is None or await self.pea.read(confirm):
            return
        request_node = self._node(request)
        if request_node is None:
            raise ServiceFailed(f"{self.name} is not in {what} and the manifest binds no {request}")
        await self.pea.write(request_node, True)
        await self._wait_value(confirm, lambda v: bool(v), f"{self.name} did not switch to {what}")

    async def _to_idle(self) -> None:
        state = await self.state()
        if state in FINISHED:
            await self.command(ServiceCommand.RESET)
            state = await self._wait_state(
                lambda s: s is ServiceState.IDLE, f"{self.name} did not reset to Idle"
            )
        if state is not ServiceState.IDLE:
            raise ServiceFailed(f"{self.name} is busy ({state.label}), not Idle: cannot start it")

    async def _select(self, procedure: ProcedureBinding) -> None:
        request = self._node(f"Procedure{self._suffix}")
        if request is None:  # checked by the manifest reader; a hand-edited descriptor
            raise ServiceFailed(f"{self.name}: no Procedure{self._suffix} variable is bound")
        await self.pea.write(request, procedure.procedure_id)
        requested = self._node("ProcedureReq")
        if requested is not None:
            await self._wait_value(
                requested,
                lambda v: int(v) == procedure.procedure_id,
                f"{self.name} did not accept procedure {procedure.tag} "
                f"(ProcedureID {procedure.procedure_id})",
            )

    def _parameters(
        self, procedure: ProcedureBinding, values: dict[str, Any]
    ) -> list[tuple[ParameterBinding, Any]]:
        available = {p.name: p for p in (*self.binding.configuration, *procedure.parameters)}
        chosen = []
        for name, value in values.items():
            parameter = available.get(name)
            if parameter is None:
                raise ServiceFailed(
                    f"parameter {name!r} does not belong to procedure {procedure.name} of "
                    f"{self.name} (it takes {', '.join(sorted(available)) or 'none'})"
                )
            chosen.append((parameter, _typed(parameter, value)))
        return chosen

    async def _write_parameter(self, parameter: ParameterBinding, value: Any) -> None:
        target = parameter.nodes.get(f"V{self._suffix}")
        if target is None:
            raise ServiceFailed(f"{self.name}.{parameter.tag}: no V{self._suffix} is bound")
        await self.pea.write(target, value)
        apply = parameter.nodes.get(f"Apply{self._suffix}")
        if apply is not None:
            await self.pea.write(apply, True)
        requested = parameter.nodes.get("VReq")
        if requested is not None:
            await self._wait_value(
                requested,
                lambda v: _same(v, value),
                f"{self.name} kept {parameter.tag} (VReq) instead of {value!r}: "
                "the PEA refused the value",
            )

    async def command(self, command: ServiceCommand) -> None:
        enabled = self._node("CommandEn")
        if enabled is not None and not command_enabled(int(await self.pea.read(enabled)), command):
            state = await self.state()
            raise ServiceFailed(
                f"{self.name} does not accept {command.name} in state {state.label}"
            )
        target = self._node(f"Command{self._suffix}")
        if target is None:
            raise ServiceFailed(f"{self.name}: no Command{self._suffix} variable is bound")
        await self.pea.write(target, int(command))

    # -- the run -------------------------------------------------------------------------

    async def run_to_completion(
        self,
        procedure: ProcedureBinding,
        *,
        planned_seconds: float,
        progress: ProgressListener,
        started_at: float,
    ) -> None:
        """Watch the run until Completed (return) or a failure (``ServiceFailed``).

        Also right after a reconnection: ``started_at`` is the loop time Start was sent
        at, so a non-self-completing procedure still gets Complete at its planned time."""
        loop = asyncio.get_running_loop()
        completing = False
        while True:
            state = await self.state()
            if state is ServiceState.COMPLETED:
                return
            if state in FAILED:
                raise ServiceFailed(f"{self.name} went {state.label} during {procedure.tag}")
            if state is ServiceState.IDLE:
                raise ServiceFailed(
                    f"{self.name} is Idle again: the run of {procedure.tag} was lost"
                )
            elapsed = loop.time() - started_at
            if planned_seconds > 0:
                progress(min(0.99, elapsed / planned_seconds))
            if (
                not procedure.self_completing
                and not completing
                and state is ServiceState.EXECUTE
                and elapsed >= planned_seconds
            ):
                await self.command(ServiceCommand.COMPLETE)
                completing = True
            await asyncio.sleep(self.poll_interval)

    async def finish(self, procedure: ProcedureBinding) -> dict[str, Any]:
        """Read the report values, Reset the service to Idle; the execution's results."""
        results: dict[str, Any] = {"procedure": procedure.name, "service": self.name}
        if procedure.reports:
            values = await self.pea.read_many([r.node for r in procedure.reports])
            for report, value in zip(procedure.reports, values, strict=True):
                results[report.name] = value
        await self.command(ServiceCommand.RESET)
        await self._wait_state(lambda s: s is ServiceState.IDLE, f"{self.name} did not reset")
        return results

    async def abort(self) -> None:
        """Abort the run (pnp stopped or aborted the skill); best effort."""
        state = await self.state()
        if state not in (ServiceState.ABORTING, ServiceState.ABORTED, ServiceState.IDLE):
            await self.command(ServiceCommand.ABORT)

    # -- waiting -------------------------------------------------------------------------

    async def _wait_state(self, done: Callable[[ServiceState], bool], failure: str) -> ServiceState:
        return await self._poll(self.state, done, failure)

    async def _wait_value(
        self, address: NodeAddress, done: Callable[[Any], bool], failure: str
    ) -> Any:
        return await self._poll(lambda: self.pea.read(address), done, failure)

    async def _poll(
        self, read: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], failure: str
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.step_timeout
        while True:
            value = await read()
            if done(value):
                return value
            if loop.time() >= deadline:
                raise ServiceFailed(
                    f"{failure} within {self.step_timeout:g} s (it shows {value!r})"
                )
            await asyncio.sleep(self.poll_interval)


def _typed(parameter: ParameterBinding, value: Any) -> Any:
    if parameter.kind == "BinServParam":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in {"true", "false"}:
            raise ServiceFailed(f"{parameter.name}={value!r} is not true or false")
        return text == "true"
    if parameter.kind == "StringServParam":
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ServiceFailed(f"{parameter.name}={value!r} is not a number")
    if parameter.kind == "DIntServParam":
        if float(value) != int(value):
            raise ServiceFailed(f"{parameter.name}={value!r} is not a whole number")
        return int(value)
    return float(value)


def _same(shown: Any, written: Any) -> bool:
    if isinstance(written, bool | str):
        return bool(shown == written)
    try:
        # An AnaServParam is often a 32-bit REAL: 0.1 comes back as 0.10000000149...
        return math.isclose(float(shown), float(written), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False
