"""Where log records go: the terminal gets what a person should act on, a file the rest.

Libraries talk: asyncua warns "No signing policy available..." when a NoSecurity test
server starts and "Revised values returned differ..." whenever a server adjusts a
subscription, and a simulated module logs every fault it injects. None of that is for
the planner reading `pnp demo`'s story or `pnp module check`'s table. So, unless -v:

- the terminal shows the orchestrator's own warnings (``pnp.orchestrator.*``), the
  errors of the rest of pnp (the SDK, the simulated modules), and from libraries only
  what is critical (asyncua logs its teardown as errors, with tracebacks);
- everything from INFO up goes to the log file when the command keeps one (`pnp demo`
  writes ``demo.log`` into its --out folder and names it at the end).

With -v the terminal shows everything from INFO up, as before.
"""

from __future__ import annotations

import logging
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OURS = "pnp.orchestrator"


class _ForPeople(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(OURS):
            return record.levelno >= logging.WARNING
        if record.name.startswith("pnp."):
            return record.levelno >= logging.ERROR
        return record.levelno >= logging.CRITICAL


def route_logs(verbose: bool = False, log_file: Path | None = None) -> None:
    """Installs the terminal's handler (and the file's); a second call (tests run many
    commands in one process) replaces them instead of adding more."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pnp", False):
            root.removeHandler(handler)
            handler.close()
    terminal = logging.StreamHandler()
    terminal.setFormatter(logging.Formatter(FORMAT))
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    if not verbose:
        terminal.addFilter(_ForPeople())
    handlers: list[logging.Handler] = [terminal]
    if log_file is not None:
        kept = logging.FileHandler(log_file, encoding="utf-8")
        kept.setFormatter(logging.Formatter(FORMAT))
        kept.setLevel(logging.INFO)
        handlers.append(kept)
    for handler in handlers:
        handler._pnp = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # INFO records are made only when someone keeps them: a busy server's libraries
    # log a great deal at INFO.
    root.setLevel(logging.INFO if verbose or log_file is not None else logging.WARNING)
    # Loggers earlier code turned down (asyncua at CRITICAL) are let through to the
    # handlers again: the handlers decide now.
    for name in ("asyncua", "pnp.sdk.opcua_server"):
        logging.getLogger(name).setLevel(logging.NOTSET)
