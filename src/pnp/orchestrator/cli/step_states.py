"""Where each step of an order stands, from its attempts and the current plan.

A step is one operation per lot (``<order>/<step>`` or ``<order>/<step>#<lot>``), so
its state sums up its operations: done when all are, running while one runs, planned
when the plan places the rest, waiting when it does not, and "cannot be planned" when
no module covers it. Attempts say what happened, the plan what will: the same sources
`pnp history` and `pnp plan` read.
"""

from __future__ import annotations

from dataclasses import dataclass

from pnp.v1 import attempt_pb2

DONE, RUNNING, PLANNED, WAITING, CANNOT = (
    "done",
    "running",
    "planned",
    "waiting",
    "cannot be planned",
)
_ACTIVE = (attempt_pb2.ATTEMPT_STATE_STARTING, attempt_pb2.ATTEMPT_STATE_RUNNING)


@dataclass(frozen=True)
class StepState:
    step_id: str
    state: str  # done, running, planned, waiting, cannot be planned
    operations: int  # one per lot
    done: int
    failed_attempts: int
    modules: tuple[str, ...]  # where it ran, runs or is planned to run

    def text(self) -> str:
        counts = f"{self.done}/{self.operations} done" if self.operations > 1 else ""
        where = f"on {', '.join(self.modules)}" if self.modules else ""
        failed = f"{self.failed_attempts} failed attempt(s)" if self.failed_attempts else ""
        details = ", ".join(part for part in (counts, where, failed) if part)
        return f"{self.state} ({details})" if details else self.state

    def as_dict(self) -> dict:
        return {
            "step_id": self.step_id,
            "state": self.state,
            "operations": self.operations,
            "operations_done": self.done,
            "failed_attempts": self.failed_attempts,
            "modules": list(self.modules),
        }


def _step_of(operation_id: str) -> str:
    return operation_id.split("/", 1)[-1].split("#", 1)[0]


def step_states(order, attempts, plan) -> list[StepState]:
    """Each step of ``order`` (pnp.v1.Order), in recipe order, from its ``attempts``
    (pnp.v1.Attempt) and the current ``plan`` (pnp.v1.Plan)."""
    # Every step is split into the same lots; the server counts the operations.
    lots = max(order.operations_total // max(len(order.steps), 1), 1)
    unmatched = {u.step_id for u in order.unmatched}
    ours = [a for a in attempts if a.order_id == order.order_id]
    planned = [a for a in plan.assignments if a.order_id == order.order_id]
    states = []
    for step in order.steps:
        mine = [a for a in ours if _step_of(a.operation_id) == step.id]
        completed = [a for a in mine if a.state == attempt_pb2.ATTEMPT_STATE_COMPLETE]
        done_ops = {a.operation_id for a in completed}
        active = [a for a in mine if a.state in _ACTIVE]
        failed = sum(1 for a in mine if a.state == attempt_pb2.ATTEMPT_STATE_FAILED)
        ahead = [a for a in planned if _step_of(a.operation_id) == step.id]
        if len(done_ops) >= lots:
            state, modules = DONE, [a.module_id for a in completed]
        elif active:
            state, modules = RUNNING, [a.module_id for a in active]
        elif step.id in unmatched:
            state, modules = CANNOT, []
        elif ahead:
            state, modules = PLANNED, [a.module_id for a in ahead]
        else:
            state, modules = WAITING, []
        states.append(
            StepState(step.id, state, lots, len(done_ops), failed, tuple(dict.fromkeys(modules)))
        )
    return states
