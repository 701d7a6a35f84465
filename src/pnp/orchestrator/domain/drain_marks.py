"""A drain outlives an orchestrator restart: read back from the event log.

A drained module keeps its drain, and a released one its release, when it comes back
as the same unit (the same boot, so the same epoch) after the orchestrator restarts:
otherwise `pnp modules` would offer it work again and `pnp status` would forget it may
be unplugged. The marks are facts the event log already holds, so they are read from
it instead of kept twice: the newest ``module.registered`` event says which epoch the
marks after it belong to; a deregistration ends them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pnp.orchestrator.domain.events import Event

REGISTERED, DRAINING, RELEASED, DEREGISTERED = (
    "module.registered",
    "module.draining",
    "module.released",
    "module.deregistered",
)
MARK_KINDS = (REGISTERED, DRAINING, RELEASED, DEREGISTERED)
_EPOCH = re.compile(r"\bepoch (\d+)$")  # the registration event's message ends so


@dataclass(frozen=True)
class DrainMarks:
    draining: bool = False
    released: bool = False


def drain_marks(newest_first: Iterable[Event], epoch: int) -> DrainMarks:
    """The marks a module re-registering as ``epoch`` had before, from its latest events
    of ``MARK_KINDS``, newest first; none if they belong to another epoch."""
    draining = released = False
    for event in newest_first:
        if event.kind == DEREGISTERED:
            return DrainMarks()
        if event.kind == DRAINING:
            draining = True
        elif event.kind == RELEASED:
            released = True
        elif event.kind == REGISTERED:
            found = _EPOCH.search(event.message)
            if found is None or int(found[1]) != epoch:
                return DrainMarks()
            return DrainMarks(draining or released, released)
    return DrainMarks()
