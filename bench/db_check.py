"""Benchmark: what the start-up check of an SQLite database file costs
(store/integrity.py), on a database of ``--orders`` closed orders (bench/history.py's
fill: operations, attempts and events for each).

    .venv/bin/python bench/db_check.py [--orders 10000] [--db PATH] [--repeat 5]

Prints the file size and the median time of the full check (header, tables,
``PRAGMA quick_check``) and of the bounded one used above 64 MiB (header, tables,
quick_check of the small tables only). Page cache warm: the file was just written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from history import fill

from pnp.orchestrator.store.integrity import check_database_file


def median_seconds(path: Path, repeat: int, **options) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        check_database_file(path, **options)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=None, help="reuse (or create) this file")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="pnp-db-check-")) / "pnp.db"
    if not path.exists():
        fill(path, args.orders)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
    print(f"full check:    {median_seconds(path, args.repeat) * 1000:.1f} ms")
    bounded = median_seconds(path, args.repeat, quick_check_max_bytes=0)
    print(f"bounded check: {bounded * 1000:.2f} ms")


if __name__ == "__main__":
    main()
