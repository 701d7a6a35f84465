"""Where a benchmark's library logs go: a file, not the terminal.

Expected teardown noise (asyncua's ``TimeoutError``, ``CancelledError``, "Connection
is closed" as module processes are killed on purpose) would bury the table. Every log
record, ours and the libraries', goes to ``<tmp>/pnp-bench-<name>.log``; the terminal
gets the benchmark's own lines only, or everything with ``--verbose``.
"""

from __future__ import annotations

import logging
import signal
import sys
import tempfile
from pathlib import Path


def logs_to_file(name: str, verbose: bool = False) -> Path:
    path = Path(tempfile.gettempdir()) / f"pnp-bench-{name}.log"
    handler: logging.Handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Warnings from libraries (asyncua logs every notification at INFO: formatting that
    # on the event loop would cost the very latency being measured); ours from INFO.
    root.setLevel(logging.WARNING)
    logging.getLogger("pnp").setLevel(logging.INFO)
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        root.addHandler(console)
    return path


def stop_on_sigterm() -> None:
    """SIGTERM ends the benchmark like Ctrl-C, so its cleanup (killing the module
    processes it started) runs."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
