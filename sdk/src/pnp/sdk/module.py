"""The vendor's entry point: a pluggable module in a page of code.

::

    module = Module(MY_TYPE, module_id="laser-7", dock="A1")

    @module.skill("cutting.laser")
    async def cut(ctx: SkillContext) -> dict:
        await ctx.sleep(90)              # factory seconds; honours Hold/Suspend/Stop
        ctx.progress(1.0)
        return {"kerf_mm": 0.2}          # recorded with the attempt

    await module.run()

Pass ``security=ModuleSecurity.from_directory(...)`` to run secured (mutual TLS to the
orchestrator, OPC UA SignAndEncrypt): see ``modules.security``.

``run`` serves OPC UA at once (so the module can be tested on its own), then keeps
it registered with the orchestrator over gRPC, retrying with backoff while the
orchestrator is unreachable. The module's MachineryItemState follows its skills.
``orchestrator`` may list several replicas, ``"host:port,host:port"``: the session finds
the leader among them, and the module refuses any Start or directive from a leader
older than the newest it has seen (``pnp.sdk.fencing``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import grpc

from pnp.sdk.descriptors import ModuleType, to_proto
from pnp.sdk.fencing import LeaderTerm
from pnp.sdk.opcua_server import ModuleOpcUaServer
from pnp.sdk.packml import BUSY, State
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.session import RegistryClient
from pnp.sdk.skill import Execution, Handler, SkillRuntime
from pnp.v1 import module_pb2, registry_pb2
from pnp.v1.opcua import ItemState

log = logging.getLogger(__name__)

ConfigureHandler = Callable[[dict], Awaitable[None]]

# The same item states in the gRPC half of the contract.
_ITEM_STATE_CODES = {
    ItemState.NOT_AVAILABLE: module_pb2.ITEM_STATE_NOT_AVAILABLE,
    ItemState.OUT_OF_SERVICE: module_pb2.ITEM_STATE_OUT_OF_SERVICE,
    ItemState.NOT_EXECUTING: module_pb2.ITEM_STATE_NOT_EXECUTING,
    ItemState.EXECUTING: module_pb2.ITEM_STATE_EXECUTING,
}


class Module:
    def __init__(
        self,
        module_type: ModuleType,
        *,
        module_id: str,
        dock: str,
        serial: str = "",
        kind: str = "",
        orchestrator: str | None = "127.0.0.1:50051",
        opcua_host: str = "127.0.0.1",
        opcua_port: int = 0,
        time_scale: float = 1.0,
        boot_id: str | None = None,
        seed: int | None = None,
        security: ModuleSecurity | None = None,
        journal: str | Path | None = None,
        opcua_cache: Path | bool = True,
        advertised_endpoint: str | None = None,
        replace: bool = False,
    ) -> None:
        """``journal``: a file this module appends one JSON line to for every execution it
        accepts (id, capability, boot): the module's own record of what it ran.
        ``opcua_cache``: where the OPC UA server caches asyncua's standard address space
        (True: the per-user default, see ``pnp.sdk.opcua_cache``; False: no cache).
        ``advertised_endpoint``: the OPC UA endpoint the orchestrator is told to dial,
        when it reaches the module by another address than the one served (a port
        forward, NAT, a fault-injecting proxy in a test); None: the served one.
        ``replace``: a deliberate swap: take the module id over from another unit that
        holds it under a live lease (without it, ``run()`` ends in ``RegistrationRefused``
        with ALREADY_EXISTS naming the holder)."""
        self.module_type = module_type
        self.security = security
        self.module_id = module_id
        self.dock = dock
        self.serial = serial or f"SN-{module_id}"
        self.kind = kind
        self.time_scale = time_scale
        self.boot_id = boot_id or uuid.uuid4().hex
        self.seed = seed
        self.journal = Path(journal) if journal is not None else None
        self.advertised_endpoint = advertised_endpoint
        self.released = False
        self.draining = False
        self.configuration: dict[str, object] = {}
        self.directives: list[tuple[str, str]] = []  # (kind, reason), as received
        self._configure_handler: ConfigureHandler | None = None
        self.serving = asyncio.Event()  # set once OPC UA listens
        self.skills: dict[str, SkillRuntime] = {}
        self.telemetry: dict[str, float] = {}
        self._item_state = ItemState.NOT_EXECUTING
        # The newest leader term seen, by the session and by Start alike.
        self.leader_term = LeaderTerm()
        self.opcua = ModuleOpcUaServer(
            module_id=module_id,
            vendor=module_type.vendor,
            model=module_type.model,
            runtimes=self.skills,
            host=opcua_host,
            port=opcua_port,
            security=security,
            address_space_cache=opcua_cache,
            leader_term=self.leader_term,
        )
        self.client: RegistryClient | None = None
        if orchestrator is not None:
            self.client = RegistryClient(
                orchestrator,
                self.descriptor(),
                boot_id=self.boot_id,
                on_directive=self._on_directive,
                seed=seed,
                credentials=security.channel_credentials() if security else None,
                leader_term=self.leader_term,
                replace=replace,
            )

    # -- declaring skills ---------------------------------------------------------------

    def skill(self, capability: str):
        """Decorator: the handler of ``capability`` (which the module type must declare)."""

        def register(handler: Handler) -> Handler:
            self.add_skill(capability, handler)
            return handler

        return register

    def add_skill(self, capability: str, handler: Handler) -> None:
        spec = self.module_type.capability(capability)
        if spec is None:
            declared = ", ".join(c.name for c in self.module_type.capabilities)
            raise ValueError(f"{capability!r} is not a capability of this module ({declared})")
        self.skills[capability] = SkillRuntime(
            spec,
            handler,
            time_scale=self.time_scale,
            on_change=self._skill_changed,
            on_telemetry=self.set_telemetry,
            on_start=lambda execution: self._record_start(capability, execution),
        )

    def _record_start(self, capability: str, execution: Execution) -> None:
        if self.journal is None:
            return
        line = {
            "execution_id": execution.execution_id,
            "capability": capability,
            "module_id": self.module_id,
            "boot_id": self.boot_id,
            "accepted_at": datetime.now(UTC).isoformat(),
        }
        with self.journal.open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(line) + "\n")

    # -- running --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.opcua.endpoint

    @property
    def item_state(self) -> ItemState:
        return self._item_state

    def descriptor(self) -> module_pb2.ModuleDescriptor:
        return to_proto(
            self.module_type,
            module_id=self.module_id,
            dock=self.dock,
            serial=self.serial,
            kind=self.kind,
            opcua_endpoint=self.advertised_endpoint or self.endpoint,
        )

    async def run(self) -> None:
        """Serve OPC UA and stay registered until cancelled; then deregister and stop."""
        missing = [c.name for c in self.module_type.capabilities if c.name not in self.skills]
        if missing:
            raise ValueError(f"no skill handler for: {', '.join(missing)}")
        await self.opcua.start()
        if self.client is not None:
            # Only now is the OPC UA port known: register with the real endpoint.
            self.client.descriptor = self.descriptor()
        for name, value in self.telemetry.items():
            await self.opcua.publish_telemetry(name, value)
        self.serving.set()
        try:
            if self.client is None:
                await asyncio.Event().wait()  # OPC UA only, e.g. for the conformance kit
            await self.client.run()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        for runtime in self.skills.values():
            await runtime.close()
        if self.client is not None:
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.CancelledError):
                await asyncio.shield(self.client.deregister())
        if self.serving.is_set():
            with contextlib.suppress(Exception):
                await self.opcua.stop()

    # -- state -----------------------------------------------------------------------------

    def set_telemetry(self, name: str, value: float) -> None:
        self.telemetry[name] = value
        if self.serving.is_set():
            asyncio.get_running_loop().create_task(self.opcua.publish_telemetry(name, value))

    def _compute_item_state(self) -> ItemState:
        states = {runtime.state for runtime in self.skills.values()}
        if states & BUSY:
            return ItemState.EXECUTING
        if states & {State.ABORTING, State.ABORTED, State.CLEARING}:
            return ItemState.NOT_AVAILABLE
        if self.released or states & {State.STOPPING, State.STOPPED}:
            return ItemState.OUT_OF_SERVICE
        return ItemState.NOT_EXECUTING

    async def _skill_changed(self, runtime: SkillRuntime) -> None:
        if self.serving.is_set():
            await self.opcua.publish_skill(runtime.capability.name, runtime)
        await self._refresh_item_state()

    async def _refresh_item_state(self) -> None:
        item_state = self._compute_item_state()
        if item_state == self._item_state:
            return
        self._item_state = item_state
        if self.serving.is_set():
            await self.opcua.publish_item_state(item_state)
        if self.client is not None:
            self.client.report_item_state(_ITEM_STATE_CODES[item_state])

    def on_configure(self, handler: ConfigureHandler) -> ConfigureHandler:
        """Decorator: called with the configuration (e.g. {"color": "RAL-3020"}) the
        orchestrator orders before work that needs a changeover."""
        self._configure_handler = handler
        return handler

    async def _on_directive(self, directive: registry_pb2.Directive) -> None:
        kind = registry_pb2.DirectiveKind.Name(directive.kind)
        log.info("%s: directive %s (%s)", self.module_id, kind, directive.reason)
        self.directives.append((kind, directive.reason))
        if directive.kind == registry_pb2.DIRECTIVE_KIND_CONFIGURE:
            try:
                configuration = json.loads(directive.configuration_json or "{}")
            except ValueError:
                log.warning(
                    "%s: unreadable configuration %r", self.module_id, directive.configuration_json
                )
                return
            self.configuration.update(configuration)
            if self._configure_handler is not None:
                await self._configure_handler(configuration)
        elif directive.kind == registry_pb2.DIRECTIVE_KIND_DRAIN:
            self.draining = True
        elif directive.kind == registry_pb2.DIRECTIVE_KIND_RELEASE:
            self.released = True
            await self._refresh_item_state()
