"""Which database a store runs on: an SQLite file, or PostgreSQL by URL.

``--db`` takes either a path (or ``sqlite:///PATH``), the embedded default for one
machine, or ``postgresql://USER@HOST:PORT/DB`` for replicated orchestrators. A password
never travels on the command line (it would show in ``ps`` and in shell history): it
comes from ``PNP_DB_PASSWORD`` or a file (``--db-password-file``), or libpq finds it
itself (``PGPASSWORD``, ``~/.pgpass``). A URL that carries one is refused.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from pnp.orchestrator.errors import BadInput, Violation

log = logging.getLogger(__name__)

PASSWORD_ENV = "PNP_DB_PASSWORD"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


@dataclass(frozen=True)
class Database:
    """Where the store lives. ``url`` is None for SQLite (then ``path`` is the file)."""

    path: Path | None = None
    url: URL | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    def __str__(self) -> str:
        """Safe to print: never the password."""
        if self.url is None:
            return str(self.path)
        return self.url.render_as_string(hide_password=True).replace("+psycopg", "", 1)


def database_target(text: str | Path, *, password_file: Path | None = None) -> Database:
    """Reads ``--db``: a path or sqlite:/// URL (SQLite), or a PostgreSQL URL."""
    if isinstance(text, Path):
        return Database(path=text)
    if text.startswith("sqlite:///"):
        return Database(path=Path(text.removeprefix("sqlite:///")))
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if not scheme:
        return Database(path=Path(text))
    if scheme not in POSTGRES_SCHEMES:
        raise _bad(text, f"unknown database scheme {scheme!r}: use a file path or postgresql://")
    try:
        url = make_url(text)
    except ArgumentError as error:
        raise _bad(text, f"not a database URL: {error}") from None
    if url.password is not None:
        raise _bad(
            url.render_as_string(hide_password=True),
            f"the URL carries a password; put it in {PASSWORD_ENV} (or PGPASSWORD) or in a "
            "file named by --db-password-file, never on the command line",
        )
    if not url.database:
        raise _bad(text, "name the database: postgresql://USER@HOST:PORT/DB")
    password = _password(password_file)
    url = url.set(drivername="postgresql+psycopg", password=password)
    return Database(url=url)


def _password(password_file: Path | None) -> str | None:
    if password_file is not None:
        try:
            return password_file.read_text().strip("\r\n")
        except OSError as error:
            raise BadInput(
                f"cannot read --db-password-file {password_file}: {error.strerror}",
                [Violation("--db-password-file", f"{password_file}: {error.strerror}")],
            ) from None
    # PGPASSWORD (and ~/.pgpass) libpq reads by itself.
    return os.environ.get(PASSWORD_ENV) or None


def _bad(shown: str, why: str) -> BadInput:
    return BadInput(f"--db {shown}: {why}", [Violation("db", f"{shown}: {why}")])


def open_engine(
    database: Database, *, synchronous: str = "FULL", idle_transaction_seconds: float = 10.0
) -> Engine:
    """An engine for ``database``.

    SQLite runs in WAL mode with ``synchronous`` (FULL: a commit survives a power cut).
    PostgreSQL sessions are ended by the server when they sit inside a transaction for
    longer than ``idle_transaction_seconds``: a leader frozen mid-transaction (SIGSTOP,
    a VM stall) must not hold the leadership row's lock, and with it the takeover,
    for as long as it is frozen.
    """
    if database.url is None:
        assert database.path is not None
        if synchronous not in ("FULL", "NORMAL", "OFF"):
            raise ValueError(f"synchronous must be FULL, NORMAL or OFF, not {synchronous!r}")
        engine = create_engine(f"sqlite:///{database.path}")

        @event.listens_for(engine, "connect")
        def _durable_sqlite(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    idle_ms = max(1000, int(idle_transaction_seconds * 1000))
    return create_engine(
        database.url,
        pool_pre_ping=True,  # a connection the server ended (see above) is replaced
        pool_size=8,
        max_overflow=8,
        connect_args={
            "options": f"-c idle_in_transaction_session_timeout={idle_ms}",
            "connect_timeout": 5,
            "application_name": "pnp",
        },
    )


def close_engine(engine: Engine) -> None:
    """Closes ``engine``'s connections; on SQLite, first folds the write-ahead log into
    the database file and empties it (``wal_checkpoint(TRUNCATE)``), so that a stopped
    orchestrator leaves one self-contained file (SQLite then deletes the -wal and -shm
    files as the last connection closes). PostgreSQL needs nothing: its server keeps
    its own log. A checkpoint that cannot run (a reader still open elsewhere, a full
    disk) is skipped: the log stays and the next open replays it, as after a crash."""
    if engine.dialect.name == "sqlite":
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except DBAPIError as error:
            log.warning("could not checkpoint the database on close: %s", error.orig)
    engine.dispose()
