"""What the executor needs from the rest of the orchestrator, each as a small interface.

The executor is handed these, not the whole factory: the registry's leases and epochs
(``Floor``), the circuit breaker (``BreakerState``), the event log (``EventSink``), the
plan (``PlanSource``), orders (``OrderBook``), directives down module sessions
(``Directives``) and where telemetry is stored (``TelemetrySink``). ``Factory`` wires
the real ones; a test may pass its own.
"""

from __future__ import annotations

from typing import Any, Protocol

from pnp.orchestrator.domain.operations import OperationSpec
from pnp.orchestrator.domain.orders import OrderRecord, OrderState
from pnp.orchestrator.planning import Plan
from pnp.orchestrator.registry import ModuleEntry
from pnp.orchestrator.store.telemetry import TelemetrySample


class Floor(Protocol):
    """The registry: which modules are plugged in, their liveness and epochs."""

    def entries(self) -> list[ModuleEntry]: ...

    def get(self, module_id: str) -> ModuleEntry:
        """Raises NotFound for a module not registered (since our start)."""
        ...

    @property
    def changes(self) -> int:
        """Rises with every change to the floor but a lease renewal."""
        ...

    def changed_since(self, mark: int) -> list[ModuleEntry]:
        """The entries changed after ``changes`` was ``mark``."""
        ...

    def awaiting_release(self) -> list[ModuleEntry]:
        """Draining modules, plugged in, not released yet."""
        ...


class BreakerState(Protocol):
    @property
    def tripped(self) -> bool: ...


class EventSink(Protocol):
    def emit(self, kind: str, subject: str, message: str) -> Any: ...


class PlanSource(Protocol):
    @property
    def plan(self) -> Plan: ...

    async def inputs_changed(self, urgent: bool = False) -> None: ...


class OrderBook(Protocol):
    def open_orders(self) -> list[OrderRecord]: ...

    def is_open(self, order_id: str) -> bool:
        """Whether the order is still open (not completed, closed or aborted)."""
        ...

    def operations_of(self, order_id: str) -> dict[str, OperationSpec]:
        """The order's operations by id (each step x lot)."""
        ...

    async def set_order_state(self, order_id: str, state: OrderState) -> None: ...


class Directives(Protocol):
    def send_directive(
        self,
        module_id: str,
        kind: str,
        reason: str,
        configuration: dict[str, str] | None = None,
    ) -> bool: ...

    def release_module(self, module_id: str) -> None: ...


class TelemetrySink(Protocol):
    def add(self, samples: list[TelemetrySample]) -> None: ...
