"""Who is asking: the caller of the call being served, for the audit trail.

The API adapters (``api.access`` for gRPC, ``web.roles`` for the console) set
``current_actor`` for the duration of each call; the event log reads it when an event
is emitted (``service.events``), so every event a call causes names who made the call
without any factory method passing it along. Outside a call it is empty: the event is
the orchestrator's own doing (a lease that ran out, a plan it revised).

The words: ``str(Caller)`` with TLS (``planner anna (admin)``, ``module laser-7``);
``anonymous`` for a call without TLS, where nobody can be told apart; ``local`` for
what a command does on this machine without an orchestrator between (an in-process
factory).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ANONYMOUS = "anonymous"
LOCAL = "local"
SYSTEM = ""

current_actor: ContextVar[str] = ContextVar("pnp_actor", default=SYSTEM)


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """``actor`` is who asks, for everything done inside (tasks started inside copy it)."""
    token = current_actor.set(actor)
    try:
        yield
    finally:
        current_actor.reset(token)
