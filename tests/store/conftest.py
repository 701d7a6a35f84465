"""Each store test runs on both engines: an SQLite file, and a fresh database on the
session's throwaway PostgreSQL (marked ``servers``: `make check` runs SQLite only)."""

from __future__ import annotations

import pytest

from pnp.orchestrator.store import Store


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.servers)],
)
def database(request, tmp_path) -> str:
    """Where a store lives: an SQLite path, or a PostgreSQL URL (an empty database)."""
    if request.param == "sqlite":
        return str(tmp_path / "pnp.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database):
    opened = Store.open(database)
    try:
        yield opened
    finally:
        opened.close()
