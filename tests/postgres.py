"""A throwaway PostgreSQL cluster for the tests: one per test session (per xdist worker),
a fresh database per test.

Debian's ``postgresql`` package (``make test`` installs it where it may) puts its
programs under /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root,
and CI runs as root: there the cluster is made and started as the ``postgres`` user
(``runuser``) in a temporary folder that user owns. It listens on 127.0.0.1 at a free
port, keeps its unix socket in that folder, trusts local connections (nothing but the
tests can reach it) and skips fsync (the data dies with the session anyway).

Where PostgreSQL is missing or cannot start, tests that need it skip and say why.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "postgres"


class PostgresUnavailable(Exception):
    """PostgreSQL is not installed here, or the throwaway cluster would not start."""


def _bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); `make test` "
        "installs Debian's postgresql where it may (as root, with apt)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running throwaway cluster: ``new_database()`` hands out empty databases."""

    folder: Path
    port: int
    bin_dir: Path
    as_user: tuple[str, ...]

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """An empty database of its own; returns its URL (no password: trusted locally)."""
        import psycopg

        name = f"pnp_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Immediate shutdown (SIGQUIT to the postmaster), by signal rather than pg_ctl:
        it runs in whichever test's teardown ends the session, marked or not."""
        try:
            pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError, IndexError):
            pass  # gone (ProcessLookupError), or never started
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="pnp-pg-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        # PostgreSQL will not run as root: make and start the cluster as its own user.
        try:
            owner = pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root and there is no {SUPERUSER!r} user"
            ) from None
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ("runuser", "-u", SUPERUSER, "--")
    data = folder / "data"
    try:
        _run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER,
             "--auth=trust", "--encoding=UTF8", "--no-sync"],
        )  # fmt: skip
        for _attempt in range(5):
            port = _free_port()
            options = (
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            started = subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
                 "-o", options, "-l", str(folder / "postgres.log")],
                capture_output=True, text=True, timeout=90, check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return PostgresCluster(folder, port, bin_dir, as_user)
        log = (folder / "postgres.log").read_text(errors="replace")[-2000:]
        raise PostgresUnavailable(f"the throwaway PostgreSQL would not start: {log}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway cluster for the session; skips the test (with why) where there can
    be none."""
    try:
        cluster = start_cluster()
    except PostgresUnavailable as why:
        pytest.skip(str(why))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh, empty database on the session's cluster (its URL)."""
    return postgres_cluster.new_database()


@contextlib.contextmanager
def cluster_for_bench() -> Iterator[PostgresCluster]:
    """The same throwaway cluster outside pytest (bench/failover.py)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
