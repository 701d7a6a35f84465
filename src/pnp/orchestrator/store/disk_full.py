"""Recognising a full disk under the database, on either engine.

SQLite answers ``SQLITE_FULL`` ("database or disk is full") when a write needs space
the filesystem (or ``max_page_count``) does not give it; PostgreSQL answers SQLSTATE
53100 (``disk_full``) or 53200/ENOSPC text. Either way the transaction is rolled back
whole. The write fence (store/fencing.py) turns the driver's error into ``StorageFull``
so every caller answers UNAVAILABLE with the same reason, and retries once space
returns: nothing in the process needs a restart.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

from pnp.orchestrator.errors import StorageFull

SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
_FULL_TEXTS = ("database or disk is full", "no space left on device")


def storage_full(error: BaseException, where: str) -> StorageFull | None:
    """``StorageFull`` when ``error`` (an SQLAlchemy or driver error) says the disk under
    the database ``where`` is full; None for any other error."""
    driver = error.orig if isinstance(error, DBAPIError) else error
    if driver is None:
        return None
    code = getattr(driver, "sqlite_errorcode", None)
    sqlstate = getattr(driver, "sqlstate", None)
    text = str(driver).strip()
    full = (
        (isinstance(driver, sqlite3.Error) and code is not None and code & 0xFF == SQLITE_FULL)
        or sqlstate == POSTGRES_DISK_FULL
        or any(marker in text.lower() for marker in _FULL_TEXTS)
    )
    if not full:
        return None
    return StorageFull(
        f"the database's disk is full: {text} ({where}); nothing of this request was "
        "stored. Free space there and try again: the orchestrator carries on by itself"
    )
