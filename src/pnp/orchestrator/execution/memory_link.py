"""An in-memory module double: the executor's ``Link`` without OPC UA or sockets.

Like httpx's ``MockTransport``: hand ``MemoryLinks`` to the factory as its
``link_factory``, and the executor drives ``MemoryModule``s in the same process, whose
skills follow PackML the way the SDK's do, scripted by the test::

    laser = MemoryModule("laser-1", ["cutting.laser"])
    factory = Factory(store, link_factory=MemoryLinks(laser))
    await factory.register_module(laser.describe(dock="A1"), boot_id="b1")
    ...
    laser.skills["cutting.laser"].complete({"units": 1})  # or .abort()

Each skill accepts Start idempotently per execution id (an id it has seen is
acknowledged again, never run twice), goes Execute, and finishes when told
(``complete``, ``abort``; or at once with ``complete_on_start``); it answers
QueryExecution and honours Reset, Clear, Stop and Abort (unless told to ``refuse``
them). A module can be made
unreachable (``reachable``), hold back what its links see (``publishing``), lose Start
calls on the way (``drop_starts``) or their answers on the way back
(``lose_start_answers``), and reboot (``reboot``: it forgets every execution).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from pnp.orchestrator.domain.modules import (
    CapabilityOffer,
    ModuleDescription,
    TimeModel,
    UtilityNeeds,
)
from pnp.orchestrator.execution.link import (
    CommandRefused,
    ExecutionReport,
    LinkDown,
    SkillView,
    TelemetryListener,
)
from pnp.v1.opcua import ExecutionOutcome, PackMLState, SkillMethod

INVALID_STATE = "BadInvalidState"  # what an OPC UA server answers a command it refuses

# Command -> the states it is allowed from -> the state it settles in (acting states
# such as Resetting pass at once in memory).
_COMMANDS: dict[str, tuple[frozenset[PackMLState], PackMLState]] = {
    SkillMethod.RESET: (frozenset({PackMLState.COMPLETE, PackMLState.STOPPED}), PackMLState.IDLE),
    SkillMethod.CLEAR: (frozenset({PackMLState.ABORTED}), PackMLState.STOPPED),
    SkillMethod.STOP: (
        frozenset(PackMLState) - {PackMLState.STOPPED, PackMLState.ABORTED, PackMLState.ABORTING},
        PackMLState.STOPPED,
    ),
    SkillMethod.ABORT: (
        frozenset(PackMLState) - {PackMLState.ABORTED, PackMLState.ABORTING},
        PackMLState.ABORTED,
    ),
}


class MemorySkill:
    """One skill: a PackML state machine, its executions, and the script it follows."""

    def __init__(self, capability: str, module: MemoryModule) -> None:
        self.capability = capability
        self._module = module
        self.state = PackMLState.IDLE
        self.execution_id = ""  # the execution the skill holds ("" when Idle)
        self.results: dict[str, Any] = {}  # the held execution's results (ResultJson)
        self.outcomes: dict[str, tuple[ExecutionOutcome, dict[str, Any]]] = {}
        self.started: list[str] = []  # execution ids that ran here, in order (each once)
        self.start_calls: list[str] = []  # every Start that reached the skill, repeats too
        self.parameters: dict[str, dict[str, Any]] = {}  # execution id -> Start parameters
        self.commands: list[str] = []  # every command accepted (Reset, Clear, Abort...)
        self.complete_on_start: dict[str, Any] | None = None  # finish at once, with these
        self.drop_starts = 0  # this many Start calls are lost before reaching the skill
        self.lose_start_answers = 0  # this many are carried out but their answer is lost
        self.refuse: set[str] = set()  # commands refused for now (say, Clear until repaired)

    # -- what the test does -----------------------------------------------------------

    def complete(self, results: dict[str, Any] | None = None) -> None:
        """The running execution finishes with ``results``."""
        self._finish(PackMLState.COMPLETE, ExecutionOutcome.COMPLETE, dict(results or {}))

    def abort(self) -> None:
        """The running execution fails on the module (a fault, say)."""
        self._finish(PackMLState.ABORTED, ExecutionOutcome.ABORTED, {})

    # -- what the link does -----------------------------------------------------------

    def start(self, execution_id: str, parameters: dict[str, Any]) -> bool:
        self.start_calls.append(execution_id)
        if execution_id in self.outcomes:
            return True  # idempotent: acknowledged again, never run twice
        if self.state is not PackMLState.IDLE:
            raise CommandRefused(INVALID_STATE)
        self.started.append(execution_id)
        self.parameters[execution_id] = dict(parameters)
        self.outcomes[execution_id] = (ExecutionOutcome.RUNNING, {})
        self.execution_id, self.results = execution_id, {}
        self.state = PackMLState.EXECUTE
        self._module.changed()
        if self.complete_on_start is not None:
            self.complete(self.complete_on_start)
        return True

    def command(self, method: str) -> None:
        allowed = _COMMANDS.get(method)
        if allowed is None or self.state not in allowed[0] or method in self.refuse:
            raise CommandRefused(INVALID_STATE)
        self.commands.append(str(method))
        target = allowed[1]
        if self.execution_id and self.state is PackMLState.EXECUTE:
            outcome = (
                ExecutionOutcome.ABORTED
                if target is PackMLState.ABORTED
                else ExecutionOutcome.STOPPED
            )
            self.outcomes[self.execution_id] = (outcome, {})
        self.state = target
        if target is PackMLState.IDLE:
            self.execution_id, self.results = "", {}
        self._module.changed()

    def query(self, execution_id: str) -> ExecutionReport:
        outcome, results = self.outcomes.get(execution_id, (ExecutionOutcome.UNKNOWN, {}))
        return ExecutionReport(str(outcome), dict(results))

    def _finish(
        self, state: PackMLState, outcome: ExecutionOutcome, results: dict[str, Any]
    ) -> None:
        if self.state is not PackMLState.EXECUTE:
            raise RuntimeError(f"{self.capability} is {self.state.label}, not executing")
        self.outcomes[self.execution_id] = (outcome, results)
        self.state, self.results = state, results
        self._module.changed()


class MemoryModule:
    """A module with skills, in memory; ``changed`` tells its links."""

    def __init__(self, module_id: str, capabilities: Iterable[str]) -> None:
        self.module_id = module_id
        self.endpoint = f"memory://{module_id}"
        self.skills = {name: MemorySkill(name, self) for name in capabilities}
        self.reachable = True
        self.publishing = True  # False: links keep showing the skills as they last were
        self._links: list[MemoryLink] = []

    def describe(self, dock: str, seconds: float = 60.0, **fields: Any) -> ModuleDescription:
        """A descriptor for registering this module: each skill takes ``seconds``."""
        values: dict[str, Any] = {
            "module_id": self.module_id,
            "vendor": "pnp",
            "model": "memory",
            "serial": f"SN-{self.module_id}",
            "footprint": "1x1",
            "dock": dock,
            "opcua_endpoint": self.endpoint,
            "kind": "memory",
            "capabilities": tuple(
                CapabilityOffer(name, (), TimeModel(0.0, seconds)) for name in self.skills
            ),
            "utilities": UtilityNeeds(),
        }
        return ModuleDescription(**{**values, **fields})

    def reboot(self) -> None:
        """Power-cycled: every skill Idle, every execution forgotten (scripts kept)."""
        for skill in self.skills.values():
            skill.state, skill.execution_id, skill.results = PackMLState.IDLE, "", {}
            skill.outcomes.clear()
        self.changed()

    def set_reachable(self, reachable: bool) -> None:
        self.reachable = reachable
        self.changed()

    def publish(self) -> None:
        """Lets the links see the skills as they are now (after ``publishing = False``)."""
        for link in list(self._links):
            link.refresh()

    def telemetry(self, name: str, value: float) -> None:
        """Publishes a telemetry value, as the module's Telemetry folder would."""
        for link in list(self._links):
            link.on_telemetry(self.module_id, name, value)

    def changed(self) -> None:
        if self.publishing:
            self.publish()

    def attach(self, link: MemoryLink) -> None:
        self._links.append(link)

    def detach(self, link: MemoryLink) -> None:
        if link in self._links:
            self._links.remove(link)


class MemoryLink:
    """The executor's link to one ``MemoryModule``: same interface as ``ModuleLink``."""

    def __init__(
        self,
        module: MemoryModule | None,
        module_id: str,
        endpoint: str,
        on_change: Callable[[], None],
    ) -> None:
        self.module_id = module_id
        self.endpoint = endpoint
        self.on_telemetry: TelemetryListener = lambda _module, _name, _value: None
        self.on_lost: Callable[[str], None] = lambda _module: None
        self._module = module
        self._on_change = on_change
        self._connected = asyncio.Event()
        self._skills: dict[str, SkillView] = {}

    @property
    def connected(self) -> asyncio.Event:
        return self._connected

    @property
    def skills(self) -> dict[str, SkillView]:
        return self._skills

    async def run(self) -> None:
        module = self._module
        if module is None:  # nothing at this endpoint: never connects
            await asyncio.Event().wait()
            return
        module.attach(self)
        try:
            self.refresh()
            await asyncio.Event().wait()
        finally:
            module.detach(self)
            self._connected.clear()

    def refresh(self) -> None:
        """Shows the module as it is now, as a subscription would, and says so."""
        module = self._module
        if module is None:
            return
        if module.reachable:
            for name, skill in module.skills.items():
                self._skills[name] = SkillView(skill.state.label, skill.execution_id)
            self._connected.set()
        else:
            if self._connected.is_set():
                self.on_lost(self.module_id)
            self._connected.clear()
        self._on_change()

    async def start(self, capability: str, execution_id: str, parameters: dict[str, Any]) -> bool:
        skill = self._skill(capability)
        if skill.drop_starts:
            skill.drop_starts -= 1
            raise LinkDown(f"{self.module_id}: Start lost on the way")
        accepted = skill.start(execution_id, parameters)
        if skill.lose_start_answers:
            skill.lose_start_answers -= 1
            raise LinkDown(f"{self.module_id}: the answer to Start was lost")
        return accepted

    async def command(self, capability: str, method: str) -> None:
        self._skill(capability).command(method)

    async def query_execution(self, capability: str, execution_id: str) -> ExecutionReport:
        return self._skill(capability).query(execution_id)

    async def result(self, capability: str) -> dict[str, Any]:
        return dict(self._skill(capability).results)

    def _skill(self, capability: str) -> MemorySkill:
        module = self._module
        if module is None or not module.reachable or not self._connected.is_set():
            raise LinkDown(f"{self.module_id} is not connected")
        skill = module.skills.get(capability)
        if skill is None:
            raise CommandRefused(f"no skill {capability!r} on {self.module_id}")
        return skill


class MemoryLinks:
    """A ``link_factory`` over in-memory modules, found by module id."""

    def __init__(self, *modules: MemoryModule) -> None:
        self.modules = {module.module_id: module for module in modules}
        self.made: list[MemoryLink] = []  # every link the executor asked for

    def add(self, module: MemoryModule) -> None:
        self.modules[module.module_id] = module

    def __call__(self, module_id: str, endpoint: str, on_change: Callable[[], None]) -> MemoryLink:
        link = MemoryLink(self.modules.get(module_id), module_id, endpoint, on_change)
        self.made.append(link)
        return link
