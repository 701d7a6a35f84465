"""Checking an SQLite file is a sound pnp database before anything writes to it.

Opening a store sets WAL mode and migrates, both of which write: run on the wrong file
(a typo in ``--db``, another program's database, a copy cut short by a full disk) they
would change it. So ``check_database_file`` looks first, and refuses with
``DamagedDatabase`` (exit 2) naming the file and what is wrong, leaving its bytes as
they were:

- a missing or zero-length file is a new database (``touch pnp.db`` works as one would
  expect; SQLite itself treats an empty file as an empty database);
- the header: 100 bytes starting ``SQLite format 3``, a page size SQLite can have, and
  a file as long as the page count it records (a truncated copy is shorter);
- the tables: a database with tables must hold pnp's (``orders`` or
  ``schema_version``); one with only other tables is someone else's;
- ``PRAGMA quick_check``: every page of the file read once, about 1.2 ms per MB
  (46 ms for a 37 MB database of 10,000 orders, page cache warm: bench/db_check.py),
  so it runs when the file is at most ``QUICK_CHECK_MAX_BYTES`` (64 MiB, about 80 ms);
  above that only the small tables a start depends on first (``schema_version``,
  ``leadership``) are checked, so a takeover stays fast however long the history.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from pnp.orchestrator.errors import DamagedDatabase, Violation

HEADER = b"SQLite format 3\x00"
HEADER_BYTES = 100
PNP_TABLES = frozenset({"orders", "schema_version"})
# Above this a full quick_check would slow every start (and a standby's takeover).
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
_SMALL_TABLES = ("schema_version", "leadership")


def check_database_file(path: Path, *, quick_check_max_bytes: int = QUICK_CHECK_MAX_BYTES) -> None:
    """Returns when ``path`` is missing, empty or a sound pnp database; else raises
    ``DamagedDatabase`` naming the file and what is wrong. Writes nothing."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as error:
        raise _damaged(path, f"cannot read it: {error.strerror}") from None
    if size == 0:
        return
    try:
        with path.open("rb") as file:
            header = file.read(HEADER_BYTES)
    except OSError as error:
        raise _damaged(path, f"cannot read it: {error.strerror}") from None
    if not header.startswith(HEADER):
        raise _damaged(path, "not a pnp database: the file is not an SQLite database")
    if len(header) < HEADER_BYTES:
        raise _damaged(path, f"the file is truncated: {size} bytes, shorter than its header")
    _check_length(path, header, size)
    _check_contents(path, size, quick_check_max_bytes)


def _check_length(path: Path, header: bytes, size: int) -> None:
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise _damaged(path, f"the file is malformed: its header gives page size {page_size}")
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if size % page_size:
        raise _damaged(
            path,
            f"the file is truncated: {size} bytes is not a whole number of {page_size}-byte pages",
        )
    if valid_for == change_counter and pages * page_size > size:
        raise _damaged(
            path,
            f"the file is truncated: {size} bytes, but its header records {pages} pages "
            f"of {page_size} bytes ({pages * page_size} bytes)",
        )


def _check_contents(path: Path, size: int, quick_check_max_bytes: int) -> None:
    # With no WAL beside it the file holds everything and no one has it open: read it
    # as immutable, which creates no -wal or -shm. With one, a read-only connection
    # shares the WAL index with whoever writes it (a standby taking over).
    wal = Path(f"{path}-wal").exists()
    mode = "mode=ro" if wal else "mode=ro&immutable=1"
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    try:
        tables = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if tables and not tables & PNP_TABLES:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise _damaged(
                path, f"not a pnp database: it holds other tables ({shown}) and no pnp ones"
            )
        if size <= quick_check_max_bytes:
            problems = _quick_check(connection, "")
        else:
            problems = [
                p
                for table in _SMALL_TABLES
                if table in tables
                for p in _quick_check(connection, table)
            ]
        if problems:
            raise _damaged(
                path,
                "the file is malformed (SQLite integrity check failed: "
                + "; ".join(problems[:3])
                + ")",
            )
    except sqlite3.DatabaseError as error:
        raise _damaged(path, f"the file is malformed ({error})") from None
    finally:
        connection.close()


def _quick_check(connection: sqlite3.Connection, table: str) -> list[str]:
    pragma = f"PRAGMA quick_check({table})" if table else "PRAGMA quick_check"
    found = [row[0] for row in connection.execute(pragma)]
    return [] if found == ["ok"] else found


def _damaged(path: Path, why: str) -> DamagedDatabase:
    message = f"--db {path}: {why}; the file was left as it is"
    return DamagedDatabase(message, [Violation("db", message)])
