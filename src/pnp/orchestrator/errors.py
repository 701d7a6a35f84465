"""The one error tree of the orchestrator.

Every failure a user can cause or meet is a ``PnpError``; the gRPC adapter maps each
class once to a status code (``orchestrator.api.status``) and the CLI maps each once to
an exit code (``pnp.orchestrator.cli.main``)::

    PnpError                  gRPC status            exit
    ├── BadInput              INVALID_ARGUMENT       2   bad recipe, descriptor, layout, request
    │   └── DamagedDatabase   INVALID_ARGUMENT       2   --db is not a pnp database, or is damaged
    ├── NotFound              NOT_FOUND              1   no such order, module or dock
    ├── Conflict              FAILED_PRECONDITION    1   clashes with what exists (dock taken)
    │   ├── AlreadyExists     ALREADY_EXISTS         1   that identity exists already
    │   └── Fenced            FAILED_PRECONDITION    1   carries an older epoch than the current
    ├── LeaseExpired          ABORTED                1   the module must register again (retryable)
    ├── PermissionDenied      PERMISSION_DENIED      1   the caller's certificate does not allow it
    ├── ResourceExhausted     RESOURCE_EXHAUSTED     1   over a rate or size limit (retryable later)
    ├── Unsupported           UNIMPLEMENTED          1   not built yet; the message says when
    ├── Unavailable           UNAVAILABLE            1   orchestrator or module unreachable
    │   ├── Deposed           UNAVAILABLE            1   this replica lost the lead to a newer term
    │   └── StorageFull       UNAVAILABLE            1   the database's disk is full (retry later)
    └── Internal              INTERNAL               1   a bug: please report it

Messages say what was wrong, where, and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One thing wrong with an input: where it is and what is wrong.

    ``field`` is a dotted path into the input (``spec.steps[2].capability``);
    ``location`` is ``file:line`` when the input came from a file, else empty.
    """

    field: str
    description: str
    location: str = ""

    def __str__(self) -> str:
        where = self.location or self.field
        return f"{where}: {self.description}" if where else self.description


class PnpError(Exception):
    """Base of every error pnp reports to a user."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(PnpError):
    """The input (file or request) is invalid; nothing was written."""

    def __init__(self, message: str, violations: list[Violation] | None = None) -> None:
        super().__init__(message)
        self.violations = list(violations or [])

    def __str__(self) -> str:
        if not self.violations:
            return self.message
        return "\n".join(str(v) for v in self.violations)


class DamagedDatabase(BadInput):
    """The database file named by ``--db`` is not a pnp database, or is truncated or
    damaged. Found at start, before anything is written: the file is left as it is."""


class NotFound(PnpError):
    """The named order, module or dock does not exist."""


class Conflict(PnpError):
    """The request clashes with the current state (a dock already taken, an order closed)."""

    already_exists = False


class AlreadyExists(Conflict):
    """Something with that identity exists already."""

    already_exists = True


class Fenced(Conflict):
    """The caller carries an older epoch than the module's current registration."""


class LeaseExpired(PnpError):
    """A module's lease ran out; registering again (same boot id) restores it."""

    retryable = True


class PermissionDenied(PnpError):
    """The caller is authenticated but may not do this (e.g. a module acting for another)."""


class ResourceExhausted(PnpError):
    """The caller went over a limit (a registration rate); slow down and try again."""

    retryable = True


class Unsupported(PnpError):
    """The request is valid but this orchestrator does not do it (yet)."""


class Unavailable(PnpError):
    """The orchestrator or a module cannot be reached right now; try again."""

    retryable = True


class Deposed(Unavailable):
    """This orchestrator replica no longer leads: another took over with a newer term, so
    its writes are refused and it steps down. Clients retry on the leader."""


class StorageFull(Unavailable):
    """The database's disk is full: the write was refused whole (nothing of it stored,
    nothing acknowledged). Calls succeed again once space is freed, no restart needed."""


class Internal(PnpError):
    """A bug in pnp; the message says what failed."""
