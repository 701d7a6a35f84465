"""Storing plan versions while the disk is full: one warning, no traceback, the newest
plan stored once space returns, nothing held up meanwhile."""

from __future__ import annotations

import asyncio
import logging
import threading
from types import SimpleNamespace

from pnp.orchestrator.errors import StorageFull
from pnp.orchestrator.service.plan_archive import PlanArchive


class Disk:
    """A store whose disk can be full; it remembers the versions it stored."""

    def __init__(self) -> None:
        self.full = False
        self.stored: list[int] = []
        self.tries = 0
        self._lock = threading.Lock()
        self.changed = threading.Event()

    def store_plan(self, plan) -> None:  # in a worker thread, as the store's is
        with self._lock:
            self.tries += 1
            self.changed.set()
            if self.full:
                raise StorageFull("the database's disk is full: database or disk is full")
            self.stored.append(plan.version)


def plan(version: int):
    return SimpleNamespace(version=version)


async def until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_a_full_disk_delays_plans_with_one_warning_and_stores_the_newest_after(caplog):
    disk = Disk()
    archive = PlanArchive(disk.store_plan, retry_first=0.01, retry_longest=0.05)
    caplog.set_level(logging.WARNING)
    archive.add(plan(1))
    await until(lambda: disk.stored == [1])

    disk.full = True
    archive.add(plan(2))
    await until(lambda: disk.tries >= 5)  # retried, again and again
    archive.add(plan(3))  # overtakes v2, which waits
    assert archive.waiting_for_space and disk.stored == [1]
    disk.full = False
    await until(lambda: not archive.waiting_for_space)
    await archive.stop()

    assert disk.stored == [1, 3]  # the newest; v2 was overtaken while it waited
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "storing plans waits for space (the newest is stored when it returns): "
        "the database's disk is full: database or disk is full",
        "storing plans goes on: the database's disk has space again",
    ]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback


async def test_stop_does_not_wait_for_space_that_never_returns(caplog):
    disk = Disk()
    disk.full = True
    archive = PlanArchive(disk.store_plan, retry_first=60, retry_longest=60)
    archive.add(plan(7))
    await until(lambda: archive.waiting_for_space)
    await archive.stop()  # not after 60 s: the wait ends with the stop
    assert disk.stored == []
    assert "plan v7 not stored on stop" in caplog.text


async def test_a_plan_added_after_the_stop_is_not_written():
    """A solve that finishes once the archive has stopped must not write after the store
    is closed and the lease given back: it is dropped, and a warning says which."""
    disk = Disk()
    archive = PlanArchive(disk.store_plan)
    archive.add(plan(1))
    await archive.stop()

    archive.add(plan(2))

    assert not [t for t in asyncio.all_tasks() if t.get_name() == "plan-archive"]
    assert disk.stored == [1]
