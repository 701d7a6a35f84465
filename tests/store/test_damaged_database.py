"""A database file that is not a sound pnp database is refused at start, with the file
named and what is wrong, as bad input (exit 2), and its bytes are left exactly as they
were: never overwritten, never migrated, never switched to WAL."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pnp.orchestrator.errors import BadInput, DamagedDatabase
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.integrity import check_database_file
from tests.cli.pnp_process import pnp_here

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def real_database(path: Path, orders: int = 40) -> Path:
    store = Store.open(path)
    for n in range(orders):
        store.add_order(
            request_id=f"r-{n}",
            source="o.yaml",
            recipe_yaml="# " + "x" * 2_000,
            state="allowed_to_start",
            submitted_at=NOW,
        )
    store.close()  # the last connection checkpoints the WAL into the file
    return path


def refused(path: Path) -> DamagedDatabase:
    before = digest(path)
    with pytest.raises(DamagedDatabase) as error:
        Store.open(path)
    assert isinstance(error.value, BadInput)  # INVALID_ARGUMENT, exit 2
    assert str(path) in error.value.message
    assert digest(path) == before, "the refused file was changed"
    assert not Path(f"{path}-wal").exists()
    return error.value


def test_random_bytes_are_not_a_pnp_database(tmp_path):
    path = tmp_path / "pnp.db"
    path.write_bytes(random.Random(7).randbytes(64 * 1024))
    assert "not a pnp database: the file is not an SQLite database" in refused(path).message


def test_a_copy_cut_short_at_a_page_boundary_is_truncated(tmp_path):
    whole = real_database(tmp_path / "whole.db")
    path = tmp_path / "pnp.db"
    path.write_bytes(whole.read_bytes()[: 4096 * 4])
    message = refused(path).message
    assert "the file is truncated" in message
    assert "its header records" in message


def test_a_copy_cut_short_mid_page_is_truncated(tmp_path):
    whole = real_database(tmp_path / "whole.db")
    path = tmp_path / "pnp.db"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2 + 100])
    assert "the file is truncated" in refused(path).message


def test_a_copy_cut_inside_its_header_is_truncated(tmp_path):
    whole = real_database(tmp_path / "whole.db")
    path = tmp_path / "pnp.db"
    path.write_bytes(whole.read_bytes()[:60])
    assert "the file is truncated" in refused(path).message


def test_damaged_pages_fail_the_integrity_check(tmp_path):
    path = real_database(tmp_path / "pnp.db")
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    assert pages > 6
    noise = random.Random(3).randbytes(4096)
    for page in (pages // 2, pages - 2):  # table pages of orders, not the header page
        data[page * 4096 : (page + 1) * 4096] = noise
    path.write_bytes(bytes(data))
    assert "the file is malformed" in refused(path).message


def test_another_programs_sqlite_database_is_not_a_pnp_database(tmp_path):
    path = tmp_path / "pnp.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        other.execute("INSERT INTO invoices (total) VALUES (12.5)")
    other.close()
    message = refused(path).message
    assert "not a pnp database: it holds other tables (customers, invoices)" in message
    with sqlite3.connect(path) as still:
        assert still.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        names = {n for (n,) in still.execute("SELECT name FROM sqlite_master")}
    still.close()
    assert names == {"invoices", "customers"}


def test_a_zero_length_file_is_a_new_database(tmp_path):
    path = tmp_path / "pnp.db"
    path.touch()
    store = Store.open(path)
    try:
        assert store.migrated_from == 0
        assert store.orders() == []
    finally:
        store.close()


def test_a_sound_database_opens_and_keeps_its_orders(tmp_path):
    path = real_database(tmp_path / "pnp.db")
    check_database_file(path)
    check_database_file(path, quick_check_max_bytes=0)  # the bounded check, for big files
    store = Store.open(path)
    try:
        assert len(store.orders()) == 40
    finally:
        store.close()


def test_pnp_serve_refuses_a_damaged_database_as_bad_input_without_a_traceback(tmp_path):
    whole = real_database(tmp_path / "whole.db")
    path = tmp_path / "pnp.db"
    path.write_bytes(whole.read_bytes()[: 4096 * 4])
    before = digest(path)
    result = pnp_here("serve", "--db", str(path), "--listen", "127.0.0.1:0")
    assert result.returncode == 2, result.stderr
    assert f"--db {path}: the file is truncated" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(path) == before
