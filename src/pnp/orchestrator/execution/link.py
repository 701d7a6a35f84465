"""What the executor needs of a link to one module, whatever carries it.

``Link`` is the interface; ``opcua_link.ModuleLink`` implements it over OPC UA (asyncua),
``memory_link.MemoryLink`` in memory for tests (a module double, like httpx's mock
transport). The values here are plain: a skill as last seen (``SkillView``), a module's
answer about an execution (``ExecutionReport``), and the two ways a call can go wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pnp.v1.opcua import ExecutionOutcome, PackMLState

# What SkillView.state says before the module has shown a state: no PackML label.
UNKNOWN_STATE = "Unknown"


class LinkDown(Exception):
    """The module's OPC UA server cannot be reached right now."""


class CommandRefused(Exception):
    """The module refused a method call (e.g. BadInvalidState)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class ExecutionReport:
    """What the module says became of an execution id (see QueryExecution)."""

    outcome: ExecutionOutcome
    results: dict[str, Any]


TelemetryListener = Callable[[str, str, float], None]  # module id, name, value


@dataclass
class SkillView:
    """A skill as last seen: PackML state name and the execution it holds."""

    state: str = UNKNOWN_STATE  # CurrentState as the module shows it: a PackMLState label
    execution_id: str = ""

    @property
    def packml_state(self) -> PackMLState | None:
        """The state ``state`` names; None before one is seen, or for a name PackML lacks."""
        return PackMLState.from_label(self.state)


class ConnectedFlag(Protocol):
    def is_set(self) -> bool: ...


class Link(Protocol):
    """One module, as the executor sees and commands it.

    ``run`` keeps the link up until cancelled and calls the ``on_change`` it was made
    with whenever ``skills`` or ``connected`` change. The commands raise ``LinkDown``
    when the module cannot be reached and ``CommandRefused`` when it says no.
    """

    module_id: str
    endpoint: str
    on_telemetry: TelemetryListener
    # Called with the module id when an established connection drops (a module that
    # died closes its sockets: this is often the first sign of it).
    on_lost: Callable[[str], None]

    @property
    def connected(self) -> ConnectedFlag: ...

    @property
    def skills(self) -> dict[str, SkillView]: ...

    async def run(self) -> None: ...

    async def start(self, capability: str, execution_id: str, parameters: dict[str, Any]) -> bool:
        """Start(executionId, parametersJson): True when accepted (again, for a known id)."""
        ...

    async def command(self, capability: str, method: str) -> None:
        """A PackML command (Reset, Clear, Abort, ...)."""
        ...

    async def query_execution(self, capability: str, execution_id: str) -> ExecutionReport: ...

    async def result(self, capability: str) -> dict[str, Any]:
        """The finished execution's results (ResultJson)."""
        ...


# module id, endpoint, on_change -> a link (not yet running)
LinkFactory = Callable[[str, str, Callable[[], None]], Link]
