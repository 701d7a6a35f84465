"""A module released before its session is open is told so when the session opens:
the release directive is not lost with the session that was not there to carry it."""

from __future__ import annotations

from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from tests.execution.test_executor_on_memory_modules import CUT, plug_in, running_factory, until


async def test_a_release_sent_without_a_session_is_sent_again_when_it_opens(tmp_path):
    laser = MemoryModule("laser-1", [CUT])
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1")
        await factory.drain_module("laser-1")
        await until(lambda: factory.registry.get("laser-1").released)

        session = factory.open_session("laser-1", factory.registry.get("laser-1").epoch)

        told = [session.outbox.get_nowait().kind for _ in range(session.outbox.qsize())]
        assert told == ["drain", "release"]
