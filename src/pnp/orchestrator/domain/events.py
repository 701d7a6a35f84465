"""Events: what the orchestrator decided or saw, one entry per fact, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Event:
    sequence: int
    time: datetime
    kind: str  # dotted: module.registered, module.lost, order.completed, plan.updated...
    subject: str  # the module, order or operation it is about
    message: str
    # Who asked for it (audit): "planner anna (admin)", "module laser-7", "anonymous"
    # or "local" without TLS; "" for what the orchestrator did on its own.
    actor: str = ""


@dataclass(frozen=True)
class Directive:
    """What the orchestrator tells a module on its session (the registry session)."""

    kind: str  # configure | drain | release | abort
    epoch: int
    reason: str = ""
    configuration: tuple[tuple[str, str], ...] = ()  # for configure: parameter -> value
