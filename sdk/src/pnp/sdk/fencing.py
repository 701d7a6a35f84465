"""The module's half of leader fencing: the newest orchestrator term it has seen.

Only one orchestrator replica leads at a time, and each leader holds a term that only
rises across takeovers (``pnp.v1.cluster``). Every answer and directive of the registry
session carries the sender's term, and so does every OPC UA ``Start``. The module keeps
the highest term it has seen, for the life of its process, and refuses a command that
carries an older one: a leader that was paused (GC, a VM stall, SIGSTOP) past its lease
and wakes up deposed cannot start work or give orders.

A command without a term counts as term 0, so a module that has never seen a term (an
orchestrator that holds none, a test tool) accepts everything, as before fencing.
"""

from __future__ import annotations


class LeaderTerm:
    """The highest leader term seen so far; it never goes down."""

    def __init__(self) -> None:
        self.highest = 0

    def admits(self, term: int) -> bool:
        """True when ``term`` is not older than the newest seen (and then records it)."""
        if term < self.highest:
            return False
        self.highest = term
        return True
