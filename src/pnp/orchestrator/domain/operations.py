"""Operations: an order's recipe expanded into the steps of each lot.

An order of ``quantity`` units with ``lotSize`` is split into lots that flow separately;
every step of every lot is one operation, to be done on one module. Inside a lot the
recipe's ``after`` edges become precedences between operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pnp.orchestrator.domain.recipes import Recipe


@dataclass(frozen=True)
class OperationSpec:
    operation_id: str
    order_id: str
    step_id: str
    lot: int  # 1-based
    units: int
    capability: str
    parameters: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    after: tuple[str, ...] = ()  # operation ids that must finish first

    @property
    def id(self) -> str:  # lets an operation stand in for a step in capability matching
        return self.step_id


def operation_id(order_id: str, step_id: str, lot: int, lots: int) -> str:
    return f"{order_id}/{step_id}" if lots == 1 else f"{order_id}/{step_id}#{lot}"


def expand_order(order_id: str, recipe: Recipe) -> list[OperationSpec]:
    lot_sizes = recipe.lot_sizes()
    lots = len(lot_sizes)
    operations = []
    for lot, units in enumerate(lot_sizes, start=1):
        for step in recipe.spec.steps:
            operations.append(
                OperationSpec(
                    operation_id=operation_id(order_id, step.id, lot, lots),
                    order_id=order_id,
                    step_id=step.id,
                    lot=lot,
                    units=units,
                    capability=step.capability,
                    parameters=dict(step.parameters),
                    after=tuple(operation_id(order_id, b, lot, lots) for b in step.after),
                )
            )
    return operations
