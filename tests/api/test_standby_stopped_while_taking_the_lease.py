"""A standby stopped just as it takes the lease gives it back: otherwise the next
standby would wait out a lease that nobody uses."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pnp.orchestrator.api.runtime import _stand_by
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.lease_keeper import LeaseSettings


async def test_a_standby_stopped_as_it_takes_the_lease_gives_it_back(tmp_path):
    store = Store.open_sqlite(tmp_path / "pnp.db")
    taking, stopped = threading.Event(), threading.Event()
    take = store.leadership.try_acquire

    def take_once_stopped(*args, **kwargs):
        taking.set()
        stopped.wait()
        return take(*args, **kwargs)

    store.leadership.try_acquire = take_once_stopped  # type: ignore[method-assign]
    try:
        standby = asyncio.create_task(
            _stand_by(store, LeaseSettings(), "127.0.0.1:0", None, None, None)
        )
        await asyncio.to_thread(taking.wait)
        standby.cancel()  # the stop comes while the lease is being taken
        stopped.set()
        with pytest.raises(asyncio.CancelledError):
            await standby
        lease = store.leadership.read()
    finally:
        store.close()
    assert lease.term == 1  # it was taken
    assert not lease.live  # and given back
