"""Which tests start servers, and a guard that keeps the answer honest.

A test that starts a server (gRPC, OPC UA: anything that listens on a socket) or one of
the processes that run them (`pnp`, node-opcua, Chromium) carries the ``servers``
marker. `make check` runs the others (``-m "not servers"``): pure and contract tests,
quick enough to run after every edit. The folders in SERVER_FOLDERS are marked here as
a whole; elsewhere a module (``pytestmark``) or a test marks itself.

The guard runs in every session, `make test` included: an unmarked test that listens on
a socket, creates a gRPC server or spawns one of those programs fails at once and names
the marker it lacks, so `make check` can never quietly start a server.

It also runs the tests marked ``slow`` first: on several workers the longest ones then
never start last.

Loaded with ``-p tests.kinds`` (pyproject.toml), so ``tests/conftest.py`` stays free of it.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import grpc
import pytest

TESTS = Path(__file__).resolve().parent
SERVER_FOLDERS = {"api", "cli", "e2e", "interop", "web"}
SERVER_PROGRAMS = {
    "pnp", "node", "chromium", "chromium-browser", "google-chrome", "pg_ctl", "runuser",
}  # fmt: skip
MARKER = "servers"
_INHERITED = object()  # the patched attribute was the base class's: delete ours after


class StartsServers(AssertionError):
    """An unmarked test started a server or a server process."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: starts servers (gRPC, OPC UA) or pnp, node or browser processes; "
        "`make check` leaves these out",
    )


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(item.path).resolve().relative_to(TESTS)
        if relative.parts[0] in SERVER_FOLDERS:
            item.add_marker(MARKER)
    # The longest tests first, so that on several workers (make test: -n 2) none of them
    # starts last and runs on alone. A stable sort: the same order on every worker.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    with _guard(item):
        return (yield)


class _guard:
    """Patches the ways to start a server for the duration of one unmarked test phase."""

    def __init__(self, item: pytest.Item) -> None:
        self.active = item.get_closest_marker(MARKER) is None
        self.name = item.nodeid
        self.saved: list[tuple[object, str, object]] = []

    def __enter__(self):
        if self.active:
            self._patch(socket.socket, "listen", self._refuse("listens on a socket"))
            self._patch(grpc, "server", self._refuse("creates a gRPC server"))
            self._patch(grpc.aio, "server", self._refuse("creates a gRPC server"))
            original_popen = subprocess.Popen.__init__
            refuse = self._refuse

            def popen(popen_self, args, *more, **kwargs):
                program = args if isinstance(args, str | bytes | os.PathLike) else args[0]
                if os.path.basename(os.fsdecode(program)) in SERVER_PROGRAMS:
                    refuse(f"runs {os.path.basename(os.fsdecode(program))}")()
                return original_popen(popen_self, args, *more, **kwargs)

            self._patch(subprocess.Popen, "__init__", popen)
        return self

    def __exit__(self, *_):
        for owner, name, value in reversed(self.saved):
            if value is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self.saved.clear()

    def _patch(self, owner, name: str, value) -> None:
        own = vars(owner).get(name, _INHERITED) if isinstance(owner, type) else getattr(owner, name)
        self.saved.append((owner, name, own))
        setattr(owner, name, value)

    def _refuse(self, what: str):
        name = self.name

        def refuse(*_args, **_kwargs):
            raise StartsServers(
                f"{name} {what}: mark it @pytest.mark.{MARKER} (or its module: "
                f"pytestmark = pytest.mark.{MARKER}); `make check` runs unmarked tests only"
            )

        return refuse
