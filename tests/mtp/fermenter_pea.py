"""A PEA for the tests: the fermenter skid of ``fermenter.aml``, served with plain asyncua.

Written from the structure VDI/VDE/NAMUR 2658 publishes, not with pnp's code (neither
the SDK nor ``pnp.mtp``): per service a ServiceControl (the command words ``CommandOp``
and ``CommandExt``, ``StateCur``, ``CommandEn``, the procedure words ``ProcedureOp``/
``ProcedureExt``/``ProcedureReq``/``ProcedureCur``, the operation and source modes as
booleans) and per parameter an ``AnaServParam``/``DIntServParam`` (``VOp``, ``VExt``,
``VReq``, ``VOut``, limits ``VMin``/``VMax``, ``VUnit``), report values as ``AnaView``
(``V``). The node ids are the identifiers the manifest lists.

The behaviour follows 2658-4: commands are honoured only on the channel of the current
mode (``CommandExt`` in Automatic with source External, ``CommandOp`` in Operator) and
the PEA clears a command word once it has read it; it starts Offline, so a POL must
switch it; a procedure is selected through ProcedureReq and latched into ProcedureCur
on Start; a parameter value outside VMin..VMax is ignored (VReq keeps the old one) and
VReq becomes VOut on Start. Procedures here complete by themselves after their duration.
Enough of the state machine for a POL: Start, Complete, Stop, Abort, Reset (Hold and
Pause are refused: they are not in CommandEn).

``fail_next(service)`` makes the next run abort half-way (a process fault);
``fail_always(service)`` every run from now on (a broken skid).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from asyncua import Server, ua
from asyncua.common.callback import CallbackType

NAMESPACE = "urn:example:su500-fermenter"

# 2658-4 Table 14.
STOPPED, STARTING, IDLE, EXECUTE, STOPPING = 4, 8, 16, 64, 128
ABORTING, ABORTED, RESETTING, COMPLETING, COMPLETED = 256, 512, 32768, 65536, 131072
RESET, START, STOP, ABORT, COMPLETE = 2, 4, 8, 256, 1024

ENABLED = {
    IDLE: START | STOP | ABORT,
    STARTING: STOP | ABORT,
    EXECUTE: STOP | ABORT | COMPLETE,
    COMPLETING: STOP | ABORT,
    COMPLETED: RESET | STOP | ABORT,
    STOPPING: ABORT,
    STOPPED: RESET | ABORT,
    ABORTING: 0,
    ABORTED: RESET,
    RESETTING: STOP | ABORT,
}


@dataclass(frozen=True)
class ParameterSpec:
    vmin: float
    vmax: float
    unit: int
    integer: bool = False


@dataclass(frozen=True)
class ProcedureSpec:
    name: str
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class ServiceSpec:
    procedures: dict[int, ProcedureSpec]
    parameters: dict[str, ParameterSpec]
    reports: dict[str, int]  # tag -> unit


SERVICES = {
    "Ferment": ServiceSpec(
        procedures={
            1: ProcedureSpec("Batch", ("Volume", "Temperature")),
            2: ProcedureSpec("FedBatch", ("Volume", "Temperature", "FeedRate")),
        },
        parameters={
            "Volume": ParameterSpec(10, 500, 1038),
            "Temperature": ParameterSpec(25, 40, 1001),
            "FeedRate": ParameterSpec(0, 5, 1353),
        },
        reports={"Titer": 1105},
    ),
    "Harvest": ServiceSpec(
        procedures={1: ProcedureSpec("Centrifuge", ("Speed",))},
        parameters={"Speed": ParameterSpec(1000, 12000, 1083, integer=True)},
        reports={"HarvestVolume": 1038},
    ),
}

COMMAND_WORDS = ("CommandOp", "CommandExt")
PROCEDURE_WORDS = ("ProcedureOp", "ProcedureExt")
MODE_REQUESTS = ("StateOpOp", "StateAutOp", "StateOffOp", "SrcExtOp", "SrcIntOp")
MODE_FLAGS = ("StateChannel", "StateOpAct", "StateAutAct", "StateOffAct", "SrcChannel")
SOURCE_FLAGS = ("SrcIntAct", "SrcExtAct")


@dataclass
class ServiceRun:
    """One service's state, as its controller holds it."""

    name: str
    spec: ServiceSpec
    nodes: dict[str, object] = field(default_factory=dict)
    state: int = IDLE
    procedure_req: int = 0
    procedure_cur: int = 0
    modes: dict[str, bool] = field(
        default_factory=lambda: {
            "StateChannel": False,
            "StateOpAct": False,
            "StateAutAct": False,
            "StateOffAct": True,
            "SrcChannel": False,
            "SrcIntAct": False,
            "SrcExtAct": False,
        }
    )
    values: dict[str, float] = field(default_factory=dict)  # tag -> VReq
    fail_next: bool = False
    faulty: bool = False
    runs: int = 0
    task: asyncio.Task | None = None
    history: list[int] = field(default_factory=list)  # every state entered


class FermenterPea:
    """``async with FermenterPea(seconds={...}) as pea:``; ``pea.endpoint`` is where it listens."""

    def __init__(self, *, seconds: dict[str, float] | None = None, port: int = 0) -> None:
        self.seconds = {"Ferment": 0.5, "Harvest": 0.3, **(seconds or {})}
        self.port = port
        self.services = {name: ServiceRun(name, spec) for name, spec in SERVICES.items()}
        self._by_node: dict[ua.NodeId, tuple[ServiceRun, str, str]] = {}
        self.server: Server | None = None
        self._index = 0
        self._lock = asyncio.Lock()

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}"

    def fail_next(self, service: str) -> None:
        self.services[service].fail_next = True

    def fail_always(self, service: str) -> None:
        self.services[service].faulty = True

    async def __aenter__(self) -> FermenterPea:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        logging.getLogger("asyncua").setLevel(logging.ERROR)
        server = Server()
        await server.init()
        server.set_endpoint(f"{self.endpoint}/")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self._index = await server.register_namespace(NAMESPACE)
        pea = await server.nodes.objects.add_object(self._id("SU500Fermenter"), "SU500Fermenter")
        for run in self.services.values():
            await self._build_service(pea, run)
        server.subscribe_server_callback(CallbackType.PostWrite, self._on_write)
        await server.start()
        self.port = server.bserver.port  # port 0: the one the OS gave
        self.server = server

    async def stop(self) -> None:
        """The skid goes off the network (a power cut, a cable): no goodbye."""
        for run in self.services.values():
            if run.task is not None:
                run.task.cancel()
        server, self.server = self.server, None
        if server is not None:
            with contextlib.suppress(Exception):
                await server.stop()

    def _id(self, text: str) -> ua.NodeId:
        return ua.NodeId(text, self._index)

    async def _variable(self, parent, identifier: str, value, variant, writable: bool = False):
        node = await parent.add_variable(
            self._id(identifier), identifier.rpartition(".")[2], ua.Variant(value, variant)
        )
        if writable:
            await node.set_writable()
        return node

    async def _build_service(self, pea, run: ServiceRun) -> None:
        name = run.name
        obj = await pea.add_object(self._id(name), name)
        words = {
            **{w: (0, True) for w in (*COMMAND_WORDS, *PROCEDURE_WORDS)},
            "StateCur": (IDLE, False),
            "CommandEn": (0, False),
            "ProcedureReq": (0, False),
            "ProcedureCur": (0, False),
        }
        for attribute, (value, writable) in words.items():
            node = await self._variable(
                obj, f"{name}.{attribute}", value, ua.VariantType.UInt32, writable
            )
            run.nodes[attribute] = node
            self._by_node[node.nodeid] = (run, "", attribute)
        for attribute in (*MODE_REQUESTS, *MODE_FLAGS, *SOURCE_FLAGS):
            writable = attribute in MODE_REQUESTS
            value = run.modes.get(attribute, False)
            node = await self._variable(
                obj, f"{name}.{attribute}", value, ua.VariantType.Boolean, writable
            )
            run.nodes[attribute] = node
            self._by_node[node.nodeid] = (run, "", attribute)
        for tag, spec in run.spec.parameters.items():
            param = await obj.add_object(self._id(f"{name}.{tag}"), tag)
            variant = ua.VariantType.Int32 if spec.integer else ua.VariantType.Float
            number = int if spec.integer else float
            run.values[tag] = number(spec.vmin)
            for attribute in (
                "VOp",
                "VExt",
                "VReq",
                "VOut",
                "VFbk",
                "VMin",
                "VMax",
                "VSclMin",
                "VSclMax",
            ):
                initial = {"VMax": spec.vmax, "VSclMax": spec.vmax}.get(attribute, spec.vmin)
                node = await self._variable(
                    param,
                    f"{name}.{tag}.{attribute}",
                    number(initial),
                    variant,
                    attribute in ("VOp", "VExt"),
                )
                run.nodes[f"{tag}.{attribute}"] = node
                self._by_node[node.nodeid] = (run, tag, attribute)
            await self._variable(param, f"{name}.{tag}.VUnit", spec.unit, ua.VariantType.Int32)
            for attribute in ("StateOpAct", "StateAutAct", "SrcExtAct"):
                await self._variable(
                    param, f"{name}.{tag}.{attribute}", False, ua.VariantType.Boolean
                )
        for tag, unit in run.spec.reports.items():
            view = await obj.add_object(self._id(f"{name}.{tag}"), tag)
            run.nodes[f"{tag}.V"] = await self._variable(
                view, f"{name}.{tag}.V", 0.0, ua.VariantType.Float
            )
            await self._variable(view, f"{name}.{tag}.VUnit", unit, ua.VariantType.Int32)
        await self._publish_state(run)

    # -- what a client writes ------------------------------------------------------------

    async def _on_write(self, event, _dispatcher) -> None:
        if not event.is_external:
            return  # our own writes
        for item in event.request_params.NodesToWrite:
            found = self._by_node.get(item.NodeId)
            if found is not None:
                run, tag, attribute = found
                async with self._lock:
                    await self._handle(run, tag, attribute, item.Value.Value.Value)

    async def _handle(self, run: ServiceRun, tag: str, attribute: str, value) -> None:
        modes = run.modes
        operator = modes["StateOpAct"]
        external = modes["StateAutAct"] and modes["SrcExtAct"]
        channel_open = {"Op": operator, "Ext": external}
        if tag:  # a parameter's VOp/VExt
            if channel_open[attribute.removeprefix("V")]:
                spec = run.spec.parameters[tag]
                if spec.vmin <= value <= spec.vmax:
                    run.values[tag] = value
                    await self._set(run, f"{tag}.VReq", value)
            return
        if attribute in COMMAND_WORDS:
            await self._set(run, attribute, 0)  # the PEA clears a command once read
            if channel_open[attribute.removeprefix("Command")]:
                await self._command(run, int(value))
        elif attribute in PROCEDURE_WORDS:
            await self._set(run, attribute, 0)
            if channel_open[attribute.removeprefix("Procedure")]:
                run.procedure_req = int(value) if int(value) in run.spec.procedures else 0
                await self._set(run, "ProcedureReq", run.procedure_req)
        elif attribute in MODE_REQUESTS and value:
            await self._set(run, attribute, False)
            await self._switch_mode(run, attribute)

    async def _switch_mode(self, run: ServiceRun, request: str) -> None:
        modes = run.modes
        if request == "StateOffOp" and run.state != IDLE:
            return  # Offline only from Idle
        if request in ("StateOpOp", "StateAutOp", "StateOffOp") and not modes["StateChannel"]:
            mode = {
                "StateOpOp": "StateOpAct",
                "StateAutOp": "StateAutAct",
                "StateOffOp": "StateOffAct",
            }
            for flag in ("StateOpAct", "StateAutAct", "StateOffAct"):
                modes[flag] = flag == mode[request]
            if not modes["StateAutAct"]:
                modes["SrcIntAct"] = modes["SrcExtAct"] = False
            elif not (modes["SrcIntAct"] or modes["SrcExtAct"]):
                modes["SrcIntAct"] = True  # Automatic starts on the internal source
        elif (
            request in ("SrcExtOp", "SrcIntOp") and modes["StateAutAct"] and not modes["SrcChannel"]
        ):
            modes["SrcExtAct"] = request == "SrcExtOp"
            modes["SrcIntAct"] = request == "SrcIntOp"
        for flag in (*MODE_FLAGS, *SOURCE_FLAGS):
            await self._set(run, flag, modes[flag])

    # -- the state machine ---------------------------------------------------------------

    async def _command(self, run: ServiceRun, word: int) -> None:
        if not ENABLED.get(run.state, 0) & word or bin(word).count("1") != 1:
            return  # not enabled now (or not one command): ignored, as 2658-4 says
        if word == START:
            if run.procedure_req == 0:
                return
            run.procedure_cur = run.procedure_req
            await self._set(run, "ProcedureCur", run.procedure_cur)
            for tag in run.spec.procedures[run.procedure_cur].parameters:
                await self._set(run, f"{tag}.VOut", run.values[tag])
            await self._enter(run, STARTING)
            await self._enter(run, EXECUTE)
            run.runs += 1
            run.task = asyncio.create_task(self._execute(run))
        elif word == COMPLETE:
            await self._end(run, COMPLETING, COMPLETED)
        elif word == STOP:
            await self._end(run, STOPPING, STOPPED)
        elif word == ABORT:
            await self._end(run, ABORTING, ABORTED)
        elif word == RESET:
            await self._enter(run, RESETTING)
            run.procedure_cur = 0
            await self._set(run, "ProcedureCur", 0)
            await self._enter(run, IDLE)

    async def _end(self, run: ServiceRun, acting: int, final: int) -> None:
        task, run.task = run.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        await self._enter(run, acting)
        await self._enter(run, final)

    async def _execute(self, run: ServiceRun) -> None:
        seconds = self.seconds[run.name]
        failing, run.fail_next = run.fail_next or run.faulty, False
        await asyncio.sleep(seconds / 2)
        async with self._lock:
            if failing and run.state == EXECUTE:
                run.task = None
                await self._enter(run, ABORTING)
                await self._enter(run, ABORTED)
                return
        await asyncio.sleep(seconds / 2)
        async with self._lock:
            if run.state != EXECUTE:
                return
            run.task = None
            for tag in run.spec.reports:
                await self._set(run, f"{tag}.V", self._report(run, tag))
            await self._enter(run, COMPLETING)
            await self._enter(run, COMPLETED)

    def _report(self, run: ServiceRun, tag: str) -> float:
        if tag == "Titer":  # g/L: a warmer culture grows faster, in this skid
            return round(1.5 + 0.1 * (run.values["Temperature"] - 25), 3)
        return 190.0

    async def _enter(self, run: ServiceRun, state: int) -> None:
        run.state = state
        run.history.append(state)
        await self._publish_state(run)

    async def _publish_state(self, run: ServiceRun) -> None:
        await self._set(run, "CommandEn", ENABLED.get(run.state, 0))
        await self._set(run, "StateCur", run.state)

    async def _set(self, run: ServiceRun, key: str, value) -> None:
        node = run.nodes[key]
        variant = (await node.read_data_value()).Value.VariantType
        await node.write_value(ua.DataValue(ua.Variant(value, variant)))
