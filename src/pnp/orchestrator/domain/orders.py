"""Orders: a stored recipe instance and its ISA-95 job state.

``OrderRecord`` is what the store keeps. Whether an open order may start is not stored:
it follows from the modules registered right now (``open_order_state``), so plugging in
a capable module lets a waiting order start without anyone touching it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from pnp.orchestrator.domain.recipes import Recipe


class OrderState(enum.Enum):
    """ISA-95 job states."""

    NOT_ALLOWED_TO_START = "NotAllowedToStart"
    ALLOWED_TO_START = "AllowedToStart"
    RUNNING = "Running"
    INTERRUPTED = "Interrupted"
    COMPLETED = "Completed"
    CLOSED = "Closed"
    ABORTED = "Aborted"

    @property
    def is_open(self) -> bool:
        return self in _OPEN


_OPEN = {
    OrderState.NOT_ALLOWED_TO_START,
    OrderState.ALLOWED_TO_START,
    OrderState.RUNNING,
    OrderState.INTERRUPTED,
}


@dataclass(frozen=True)
class OrderRecord:
    order_id: str
    request_id: str
    source: str
    recipe_yaml: str
    recipe: Recipe
    state: OrderState
    submitted_at: datetime

    @property
    def name(self) -> str:
        return self.recipe.metadata.name


def open_order_state(stored: OrderState, has_unmatched_steps: bool) -> OrderState:
    """The state to show: a waiting order may start exactly when every step has a module."""
    if stored in (OrderState.NOT_ALLOWED_TO_START, OrderState.ALLOWED_TO_START):
        return (
            OrderState.NOT_ALLOWED_TO_START if has_unmatched_steps else OrderState.ALLOWED_TO_START
        )
    return stored
