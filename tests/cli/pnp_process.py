"""Running the real `pnp` console script as a user would: one-shot or long-running."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PNP = str(Path(sys.executable).parent / "pnp")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def pnp(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PNP, *args], capture_output=True, text=True, timeout=timeout, **kwargs)


def pnp_here(*args: str) -> subprocess.CompletedProcess:
    """`pnp ARGS` run by the console script's own function (``main``) in this process:
    the same exit code and output, without a new interpreter's half second of imports.
    For the many small cases of one command; ``pnp`` runs the real process."""
    from pnp.orchestrator.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exit:
            code = exit.code
        else:
            raise AssertionError("pnp's main returned instead of exiting")
    if not isinstance(code, int):
        code = 0 if code is None else 1
    return subprocess.CompletedProcess(["pnp", *args], code, out.getvalue(), err.getvalue())


class Running:
    """A long-running `pnp` process; stderr goes to a file so it can never fill a pipe."""

    def __init__(self, *args: str) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [PNP, *args], stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=ENV
        )
        self.last_stdout = ""

    def wait_for_line(self, pattern: str, timeout: float = 30) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise AssertionError(f"process ended: {self.stderr()}")
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s")

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def kill(self, signum: int = signal.SIGKILL) -> None:
        self.process.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Stops the process as Ctrl-C (SIGINT) or systemd (SIGTERM) would; returns its
        exit code and stderr (what it printed on stdout meanwhile: ``last_stdout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            self.last_stdout, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise
        text = self.stderr()
        self._stderr.close()
        return self.process.returncode, text


def serve(db: Path, *options: str) -> tuple[Running, str]:
    """`pnp serve` on a free loopback port with the database ``db``; returns the process
    and the address it listens on (from the line it prints)."""
    server = Running("serve", "--listen", "127.0.0.1:0", "--db", str(db), *options)
    try:
        port = server.wait_for_line(r"listening on [\d.]+:(\d+)")[1]
    except BaseException:
        server.kill()  # a server that never said where it listens must not outlive the test
        server.process.wait()
        raise
    return server, f"127.0.0.1:{port}"
