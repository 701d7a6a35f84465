"""Saying that the database's disk is full: once, in one line, not at every retry.

A full disk is the operator's to fix, not a bug: the work that hit it (a plan to store,
an executor pass) is retried by its owner, and nothing is lost meanwhile. So its owner
warns once when it first finds the disk full, with the store's own reason and no
traceback, and once more when it succeeds again.
"""

from __future__ import annotations

import logging

from pnp.orchestrator.errors import StorageFull

log = logging.getLogger(__name__)


class FullDiskNotice:
    def __init__(self, what: str, meanwhile: str) -> None:
        """``what``: the work that waits, as the warning names it ("the executor");
        ``meanwhile``: what happens until space returns."""
        self.what = what
        self.meanwhile = meanwhile
        self.waiting = False

    def full(self, error: StorageFull) -> None:
        if not self.waiting:
            self.waiting = True
            log.warning("%s waits for space (%s): %s", self.what, self.meanwhile, error.message)

    def cleared(self) -> None:
        if self.waiting:
            self.waiting = False
            log.warning("%s goes on: the database's disk has space again", self.what)
