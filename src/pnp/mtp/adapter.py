"""The POL role for pnp: a PEA on a dock, driven through pnp's module contract.

A ``PeaAdapter`` is a ``pnp.sdk.Module`` (so the contract is the SDK's: the registry
session, the OPC UA skills with their PackML state machines, idempotent Start per
execution id, QueryExecution, telemetry) whose skills, one per MTP service, run the
PEA's service through ``ServiceDriver`` over OPC UA:

    pnp Start(execution, parameters) -> select procedure, write parameters, Start;
    Completed -> the skill completes with the report values, and the service is Reset;
    the service Stopped/Aborted, or refusing -> the skill aborts (the attempt fails and
    pnp re-plans it, like any module's);
    pnp Stop/Abort of the skill -> Abort of the service.

The PEA's reachability is the module's liveness: while the adapter cannot reach the PEA
it holds no registry session (it never deregisters for that), so pnp sees the module
suspect, then lost when its lease runs out, and re-plans its work, exactly as for a
module that died. A run in progress waits for the PEA to come back (``pea_grace``): if
the service finished meanwhile, the execution completes (pnp then reclaims it, see
``docs/architecture.md``, "return grace"); otherwise it fails. Once the PEA answers
again, the adapter registers again with the same boot id (same epoch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from typing import Any

from pnp.mtp.descriptor import PROCEDURE_PARAMETER, MtpDescriptor, ServiceBinding
from pnp.mtp.pea_client import PeaConnection, PeaRefused, PeaUnreachable
from pnp.mtp.service_driver import ServiceDriver, ServiceFailed
from pnp.sdk.descriptors import CapabilitySpec
from pnp.sdk.module import Module
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.session import Backoff, RegistryClient
from pnp.sdk.skill import SkillContext

log = logging.getLogger(__name__)


class PeaMismatch(RuntimeError):
    """The PEA at the endpoint is not the one the manifest describes; retrying won't help."""


class Gate:
    """Open while the PEA answers: the registry session is held only then."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self.closed.set()

    def open(self) -> None:
        self.closed.clear()
        self.opened.set()

    def close(self) -> None:
        self.opened.clear()
        self.closed.set()


class GatedRegistryClient(RegistryClient):
    """The SDK's registry client, run only while the gate is open. Closing the gate drops
    the session without deregistering: to pnp, the module went silent."""

    def __init__(self, *args: Any, gate: Gate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate

    async def run(self) -> None:
        while True:
            await self.gate.opened.wait()
            session = asyncio.create_task(super().run())
            closed = asyncio.create_task(self.gate.closed.wait())
            try:
                await asyncio.wait({session, closed}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                # The adapter stops: its session ends with it, or it would go on
                # registering the module again after the module left.
                session.cancel()
                await asyncio.gather(session, return_exceptions=True)
                raise
            finally:
                closed.cancel()
            if session.done():
                session.result()  # a refusal: raise it
                return
            session.cancel()
            try:
                await session
            except asyncio.CancelledError:
                # The session's own end, as asked; but should this task be cancelled
                # while it waits (the adapter stopping), that must not be swallowed, or
                # it would loop on to wait for the gate for ever.
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    raise
            self.registered.clear()
            log.warning("%s: PEA unreachable, registry session dropped", self.module_id)


class PeaAdapter:
    def __init__(
        self,
        descriptor: MtpDescriptor,
        *,
        module_id: str,
        dock: str,
        orchestrator: str | None,
        endpoint: str | None = None,
        serial: str = "",
        opcua_host: str = "127.0.0.1",
        opcua_port: int = 0,
        time_scale: float = 1.0,
        boot_id: str | None = None,
        seed: int | None = None,
        security: ModuleSecurity | None = None,
        poll_interval: float = 0.1,
        step_timeout: float = 10.0,
        pea_grace: float = 30.0,
        reconnect: Backoff | None = None,
    ) -> None:
        self.descriptor = descriptor
        self.pea = PeaConnection(endpoint or descriptor.spec.endpoint)
        self.time_scale = time_scale
        self.poll_interval = poll_interval
        self.step_timeout = step_timeout
        self.pea_grace = pea_grace
        self._reconnect = reconnect or Backoff()
        self.gate = Gate()
        self._lost = asyncio.Event()
        self.module = Module(
            descriptor.spec.module,
            module_id=module_id,
            dock=dock,
            serial=serial or f"MTP-{module_id}",
            kind=f"mtp:{descriptor.metadata.name}",
            orchestrator=None,
            opcua_host=opcua_host,
            opcua_port=opcua_port,
            time_scale=time_scale,
            boot_id=boot_id or uuid.uuid4().hex,
            seed=seed,
            security=security,
        )
        self.module.telemetry["PeaConnected"] = 0.0
        self.client: GatedRegistryClient | None = None
        if orchestrator is not None:
            self.client = GatedRegistryClient(
                orchestrator,
                self.module.descriptor(),
                boot_id=self.module.boot_id,
                # The SDK module handles directives (configure, drain, release) itself.
                on_directive=self.module._on_directive,
                seed=seed,
                credentials=security.channel_credentials() if security else None,
                gate=self.gate,
                # One fence for the session and the OPC UA server: a Start from a deposed
                # leader is refused by the term this session learnt.
                leader_term=self.module.leader_term,
            )
            self.module.client = self.client
        self._services: dict[str, asyncio.Lock] = {}
        for binding in descriptor.spec.services:
            capability = descriptor.spec.module.capability(binding.capability)
            assert capability is not None  # MtpSpec checks every binding has its capability
            self.module.add_skill(binding.capability, self._skill(capability, binding))

    @property
    def module_id(self) -> str:
        return self.module.module_id

    @property
    def connected(self) -> bool:
        return self.gate.opened.is_set()

    async def run(self) -> None:
        """Serve the module and keep the PEA connected until cancelled."""
        keeper = asyncio.create_task(self._keep_connected())
        module = asyncio.create_task(self.module.run())
        try:
            done, _ = await asyncio.wait({keeper, module}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a PEA mismatch or a refused registration ends the adapter
        finally:
            for task in (keeper, module):
                task.cancel()
            await asyncio.gather(keeper, module, return_exceptions=True)
            await self.pea.close()

    # -- the PEA's connection ------------------------------------------------------------

    async def _keep_connected(self) -> None:
        delays = self._reconnect.delays(random.Random(self.module.seed))
        while True:
            try:
                await self.pea.connect()
                await self._check_nodes()
            except PeaUnreachable as error:
                log.info("%s: %s", self.module_id, error)
                await asyncio.sleep(next(delays))
                continue
            except PeaRefused as error:
                raise PeaMismatch(str(error)) from None
            delays = self._reconnect.delays(random.Random(self.module.seed))
            self._lost.clear()
            self.gate.open()
            self.module.set_telemetry("PeaConnected", 1.0)
            await self._watch_until_lost()
            self.gate.close()
            self.module.set_telemetry("PeaConnected", 0.0)
            await self.pea.close()

    async def _check_nodes(self) -> None:
        """Every service's StateCur answers: the PEA is the one the manifest describes."""
        states = [s.control["StateCur"] for s in self.descriptor.spec.services]
        await self.pea.read_many(states)

    async def _watch_until_lost(self) -> None:
        states = [s.control["StateCur"] for s in self.descriptor.spec.services]
        probe = max(self.poll_interval * 5, 0.2)
        while not self._lost.is_set():
            try:
                await self.pea.read_many(states)
            except (PeaUnreachable, PeaRefused) as error:
                log.warning("%s: lost the PEA: %s", self.module_id, error)
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(probe):
                    await self._lost.wait()

    def _pea_lost(self) -> None:
        self._lost.set()

    async def _pea_back(self) -> None:
        try:
            async with asyncio.timeout(self.pea_grace):
                while True:
                    await self.gate.opened.wait()
                    if not self._lost.is_set():
                        return
                    await asyncio.sleep(self.poll_interval)
        except TimeoutError:
            raise ServiceFailed(f"the PEA did not come back within {self.pea_grace:g} s") from None

    # -- the skills ------------------------------------------------------------------------

    def _skill(self, capability: CapabilitySpec, binding: ServiceBinding):
        async def run_service(ctx: SkillContext) -> dict[str, Any]:
            values = dict(ctx.parameters)
            procedure = binding.procedure(values.pop(PROCEDURE_PARAMETER, None))
            planned = capability.time.seconds_for(ctx.units) / self.time_scale
            driver = ServiceDriver(
                self.pea, binding, poll_interval=self.poll_interval, step_timeout=self.step_timeout
            )
            if not self.connected:
                raise ServiceFailed(f"the PEA is unreachable: {binding.service} not started")
            lock = self._services.setdefault(binding.service, asyncio.Lock())
            async with lock:
                loop = asyncio.get_running_loop()
                try:
                    await self._guarded(driver.start(procedure, values))
                    started_at = loop.time()
                    while True:
                        try:
                            await driver.run_to_completion(
                                procedure,
                                planned_seconds=planned,
                                progress=ctx.progress,
                                started_at=started_at,
                            )
                            break
                        except PeaUnreachable:
                            self._pea_lost()
                            await self._pea_back()  # then look again at what the PEA shows
                    results = await self._guarded(driver.finish(procedure))
                    # Held or suspended by pnp meanwhile (not passed on to the PEA, whose
                    # run went on): complete once pnp lets the skill run again.
                    await ctx.checkpoint()
                    return results
                except asyncio.CancelledError:
                    # pnp stopped or aborted the skill: stop the PEA's work too.
                    with contextlib.suppress(Exception):
                        await asyncio.shield(driver.abort())
                    raise

        return run_service

    async def _guarded(self, call):
        try:
            return await call
        except PeaUnreachable as error:
            self._pea_lost()
            raise ServiceFailed(f"the PEA became unreachable: {error}") from None
        except PeaRefused as error:
            raise ServiceFailed(str(error)) from None
