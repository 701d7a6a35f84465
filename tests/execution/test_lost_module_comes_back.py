"""A module declared lost that comes back having finished its work: the work counts once.

When a module's lease runs out, its running attempt is failed and the operation runs
again elsewhere. But the module may only have been cut off: if it comes back (same
boot, so same epoch) within the return grace and says (QueryExecution) that it
finished the execution, its result is taken, and a re-run elsewhere is superseded
(aborted when still running) rather than counted a second time. In-memory modules
(``execution.memory_link``); leases run for real, short.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.orders import OrderRecord, OrderState
from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from pnp.orchestrator.registry import Liveness
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.settings import FactorySettings
from pnp.orchestrator.store import Store
from pnp.v1.opcua import PackMLState
from tests.execution.test_executor_on_memory_modules import CUT, CUT_ONLY, active, history, until

SETTINGS = FactorySettings(
    solve_time_limit=1.0, heartbeat_interval=0.05, lease_ttl=0.5, solve_in_processes=False
)


class Heartbeats:
    """Keeps modules' leases, as their sessions would; ``cut`` one to have it lost."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def keep(self, module_id: str) -> None:
        entry = self.factory.registry.get(module_id)
        handle = self.factory.open_session(module_id, entry.epoch)

        async def beat() -> None:
            while True:
                self.factory.heartbeat(module_id, handle.epoch, handle.token)
                await asyncio.sleep(SETTINGS.heartbeat_interval)

        self.tasks[module_id] = asyncio.create_task(beat())

    def cut(self, module_id: str) -> None:
        self.tasks.pop(module_id).cancel()

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


@contextlib.asynccontextmanager
async def floor(db: Path, *modules: MemoryModule) -> AsyncIterator[tuple[Factory, Heartbeats]]:
    factory = Factory(Store.open_sqlite(db), settings=SETTINGS, link_factory=MemoryLinks(*modules))
    await factory.start()
    beats = Heartbeats(factory)
    try:
        for n, module in enumerate(modules):
            await factory.register_module(module.describe(dock=f"A{n + 1}"), "boot-1")
            beats.keep(module.module_id)
        yield factory, beats
    finally:
        await beats.stop()
        await factory.stop()
        factory.store.close()


async def lose_and_bring_back(factory: Factory, beats: Heartbeats, module: MemoryModule) -> None:
    """Cut off until its lease runs out; then it registers again with the same boot."""
    beats.cut(module.module_id)
    await until(lambda: factory.registry.get(module.module_id).liveness is Liveness.LOST)


async def comes_back(factory: Factory, beats: Heartbeats, module: MemoryModule) -> None:
    await factory.register_module(module.describe(dock="A1"), "boot-1")  # same boot: epoch 1
    beats.keep(module.module_id)


async def re_run_elsewhere(
    factory: Factory, beats: Heartbeats, lasers: list[MemoryModule]
) -> tuple[OrderRecord, Attempt, MemoryModule, MemoryModule]:
    """An order's cut starts on one of two lasers, which is cut off until it is lost;
    the re-run starts on the other. Returns the order, the first attempt, the lost
    laser and the other."""
    order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
    await until(lambda: active(factory) is not None)
    first = active(factory)
    assert first is not None
    lost = next(m for m in lasers if m.module_id == first.module_id)
    other = next(m for m in lasers if m is not lost)
    await until(lambda: lost.skills[CUT].state is PackMLState.EXECUTE)
    await lose_and_bring_back(factory, beats, lost)
    await until(lambda: other.skills[CUT].state is PackMLState.EXECUTE)  # the re-run
    return order, first, lost, other


async def test_a_module_back_with_its_execution_complete_is_not_re_run(tmp_path):
    laser = MemoryModule("laser-a", [CUT])
    async with floor(tmp_path / "pnp.db", laser) as (factory, beats):
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        skill = laser.skills[CUT]
        await until(lambda: skill.state is PackMLState.EXECUTE)
        [first] = skill.started

        await lose_and_bring_back(factory, beats, laser)
        await until(lambda: factory.ledger.get(first).state is AttemptState.FAILED)
        skill.complete({"units": 1})  # it went on working while cut off
        await comes_back(factory, beats, laser)

        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        assert history(factory, order.order_id) == [("laser-a", AttemptState.COMPLETE, "")]
        assert factory.ledger.get(first).results == {"units": 1}
        assert skill.started == [first]  # never run a second time
        assert factory.order(order.order_id).operations_done == 1
        kinds = [e.kind for e in factory.events._recent if e.subject.startswith(order.order_id)]
        assert "operation.reclaimed" in kinds


async def test_a_re_run_still_running_elsewhere_is_aborted_and_superseded(tmp_path):
    lasers = [MemoryModule("laser-a", [CUT]), MemoryModule("laser-b", [CUT])]
    async with floor(tmp_path / "pnp.db", *lasers) as (factory, beats):
        order, first, lost, other = await re_run_elsewhere(factory, beats, lasers)
        [rerun] = other.skills[CUT].started
        lost.skills[CUT].complete({"units": 1})
        await comes_back(factory, beats, lost)

        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        assert history(factory, order.order_id) == [
            (lost.module_id, AttemptState.COMPLETE, ""),
            (
                other.module_id,
                AttemptState.SUPERSEDED,
                f"superseded by {first.execution_id} on {lost.module_id}",
            ),
        ]
        assert "Abort" in other.skills[CUT].commands  # the re-run was stopped
        assert factory.order(order.order_id).operations_done == 1
        stored = {a.execution_id: a.state for a in factory.store.attempts.all()}
        assert stored == {first.execution_id: AttemptState.COMPLETE, rerun: AttemptState.SUPERSEDED}
        await until(lambda: other.skills[CUT].state is PackMLState.IDLE)  # tidied for next job


async def test_a_re_run_that_completed_first_counts_and_the_late_result_is_superseded(tmp_path):
    """Later steps may already build on the re-run's part: the first completion counts,
    and the module that came back with the same work done is superseded and tidied."""
    lasers = [MemoryModule("laser-a", [CUT]), MemoryModule("laser-b", [CUT])]
    async with floor(tmp_path / "pnp.db", *lasers) as (factory, beats):
        order, _, lost, other = await re_run_elsewhere(factory, beats, lasers)
        other.skills[CUT].complete({"units": 1})
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        lost.skills[CUT].complete({"units": 1})
        await comes_back(factory, beats, lost)

        await until(
            lambda: (
                [a.state for a in factory.attempts(order.order_id)]
                == [AttemptState.SUPERSEDED, AttemptState.COMPLETE]
            )
        )
        assert factory.order(order.order_id).operations_done == 1
        await until(lambda: lost.skills[CUT].state is PackMLState.IDLE)  # tidied
        # The data package reads the store, written just after memory: ask until it is.
        async with asyncio.timeout(15):
            while True:
                package = await factory.export_order(order.order_id)
                states = sorted(a.state for op in package.operations for a in op.attempts)
                if states == ["complete", "superseded"]:
                    break
                await asyncio.sleep(0.05)


async def test_an_attempt_in_doubt_is_still_asked_about_after_a_restart(tmp_path):
    """The orchestrator restarts while the lost module's attempt is in doubt and its
    re-run is running elsewhere: the stored attempt says it is in doubt, so the module
    that comes back is still asked, its result is taken and the re-run superseded."""
    lasers = [MemoryModule("laser-a", [CUT]), MemoryModule("laser-b", [CUT])]
    async with floor(tmp_path / "pnp.db", *lasers) as (factory, beats):
        order, first, lost, other = await re_run_elsewhere(factory, beats, lasers)
        [rerun] = other.skills[CUT].started

    lost.skills[CUT].complete({"units": 1})  # while the orchestrator was down
    async with floor(tmp_path / "pnp.db", other, lost) as (factory, _):
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        stored = {a.execution_id: a.state for a in factory.store.attempts.all()}
        assert stored == {first.execution_id: AttemptState.COMPLETE, rerun: AttemptState.SUPERSEDED}
        assert factory.ledger.get(first.execution_id).results == {"units": 1}
        assert lost.skills[CUT].started == [first.execution_id]
        assert factory.order(order.order_id).operations_done == 1
