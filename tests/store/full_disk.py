"""A full disk under an SQLite store, injected at the store's boundary.

``PRAGMA max_page_count`` caps the database at the pages it has: a write that needs
one more page fails inside SQLite with its own ``SQLITE_FULL`` ("database or disk is
full"), exactly the error a full filesystem gives, and SQLite rolls it back as it
would. ``free()`` lifts the cap: space has returned. (A real full filesystem, a small
tmpfs, is in tests/faults/test_disk.py.)
"""

from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

UNCAPPED = 1_073_741_823  # SQLite's largest page count


class FullDisk:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pages: int | None = None
        event.listen(engine, "checkout", self._cap)

    def fill(self) -> None:
        """From now on the database cannot grow by one page."""
        with self._engine.connect() as connection:
            self._pages = int(connection.execute(text("PRAGMA page_count")).scalar() or 0)

    def free(self) -> None:
        self._pages = None

    def _cap(self, dbapi_connection, _record, _proxy) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={self._pages or UNCAPPED}")
        cursor.close()
