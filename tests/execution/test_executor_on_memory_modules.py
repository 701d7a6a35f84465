"""The executor against in-memory modules (``execution.memory_link``): no sockets.

A real factory (registry, planner, SQLite store in a temporary file) whose executor
drives ``MemoryModule``s through ``MemoryLinks``; the tests script the modules (finish,
abort, lose a Start, reboot) and watch what the executor records.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.settings import FactorySettings
from pnp.orchestrator.store import Store
from pnp.v1.opcua import PackMLState

CUT = "cutting.laser"
CUT_ONLY = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: plate}
spec:
  product: plate
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser}
"""
# Leases that never expire on their own: these tests move modules by hand.
SETTINGS = FactorySettings(solve_time_limit=1.0, heartbeat_interval=60, lease_ttl=3600)


@asynccontextmanager
async def running_factory(db: Path, links: MemoryLinks) -> AsyncIterator[Factory]:
    factory = Factory(Store.open_sqlite(db), settings=SETTINGS, link_factory=links)
    await factory.start()
    try:
        yield factory
    finally:
        await factory.stop()
        factory.store.close()


async def plug_in(factory: Factory, module: MemoryModule, dock: str, boot_id: str = "b1") -> None:
    await factory.register_module(module.describe(dock=dock), boot_id)


async def until(predicate: Callable[[], object], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def active(factory: Factory) -> Attempt | None:
    return next(iter(factory.ledger.active()), None)


def history(factory: Factory, order_id: str) -> list[tuple[str, AttemptState, str]]:
    return [(a.module_id, a.state, a.error) for a in factory.attempts(order_id)]


async def test_an_operation_runs_on_the_module_and_completes_with_its_results(tmp_path):
    laser = MemoryModule("laser-a", [CUT])
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1")
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        skill = laser.skills[CUT]
        await until(lambda: skill.state is PackMLState.EXECUTE)
        [execution_id] = skill.started
        assert skill.parameters[execution_id] == {"_units": 1}
        await until(lambda: factory.ledger.get(execution_id).state is AttemptState.RUNNING)

        skill.complete({"units": 1, "duration_s": 60})

        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        [attempt] = factory.attempts(order.order_id)
        assert (attempt.execution_id, attempt.state) == (execution_id, AttemptState.COMPLETE)
        assert attempt.results == {"units": 1, "duration_s": 60}
        assert factory.store.attempts.all() == [attempt]  # recorded, not only in memory
        await until(lambda: skill.state is PackMLState.IDLE)  # Reset for the next job
        assert skill.commands == ["Reset"]


async def test_a_module_aborting_fails_the_attempt_and_the_work_is_replanned_elsewhere(tmp_path):
    lasers = {name: MemoryModule(name, [CUT]) for name in ("laser-a", "laser-b")}
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(*lasers.values())) as factory:
        await plug_in(factory, lasers["laser-a"], "A1")
        await plug_in(factory, lasers["laser-b"], "A2")
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until(lambda: active(factory) is not None)
        first = active(factory).module_id
        [other] = set(lasers) - {first}
        failed = lasers[first].skills[CUT]
        await until(lambda: failed.state is PackMLState.EXECUTE)
        # The fault needs someone on the floor before the module can be cleared.
        failed.refuse.add("Clear")

        failed.abort()

        await until(lambda: lasers[other].skills[CUT].state is PackMLState.EXECUTE)
        lasers[other].skills[CUT].complete({"units": 1})
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        assert history(factory, order.order_id) == [
            (first, AttemptState.FAILED, "skill aborted"),
            (other, AttemptState.COMPLETE, ""),
        ]
        assert failed.state is PackMLState.ABORTED
        failed.refuse.clear()  # repaired: the executor clears and resets it
        await until(lambda: failed.state is PackMLState.IDLE)
        assert failed.commands == ["Clear", "Reset"]


async def test_a_failed_operation_reruns_on_a_module_it_did_not_fail_on_even_if_its_own_is_ready(
    tmp_path,
):
    lasers = {name: MemoryModule(name, [CUT]) for name in ("laser-a", "laser-b")}
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(*lasers.values())) as factory:
        await plug_in(factory, lasers["laser-a"], "A1")
        await plug_in(factory, lasers["laser-b"], "A2")
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until(lambda: active(factory) is not None)
        first = active(factory).module_id
        [other] = set(lasers) - {first}
        failed = lasers[first].skills[CUT]
        await until(lambda: failed.state is PackMLState.EXECUTE)

        failed.abort()  # and it is cleared and reset at once: ready before any replan

        await until(lambda: lasers[other].skills[CUT].state is PackMLState.EXECUTE)
        assert failed.started == failed.started[:1]  # never started there again
        lasers[other].skills[CUT].complete({"units": 1})
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        assert [(m, s) for m, s, _ in history(factory, order.order_id)] == [
            (first, AttemptState.FAILED),
            (other, AttemptState.COMPLETE),
        ]


async def test_a_start_recorded_but_unconfirmed_is_sent_again_with_its_id_and_runs_once(
    tmp_path,
):
    laser = MemoryModule("laser-a", [CUT])
    skill = laser.skills[CUT]
    # The first Start reaches the skill but its answer is lost, and the skill's new
    # state is not seen either: all the executor knows is that Start may not have arrived.
    skill.lose_start_answers = 1
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1")
        await until(lambda: laser.skills)  # linked
        laser.publishing = False
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until(lambda: len(skill.start_calls) >= 2)
        [execution_id] = skill.started
        assert set(skill.start_calls) == {execution_id}  # sent again, with the same id
        assert factory.ledger.get(execution_id).state is AttemptState.STARTING

        laser.publishing = True
        laser.publish()
        await until(lambda: factory.ledger.get(execution_id).state is AttemptState.RUNNING)
        skill.complete({"units": 1})
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        assert skill.started == [execution_id]  # ran once
        assert [a.execution_id for a in factory.attempts(order.order_id)] == [execution_id]


async def test_a_start_lost_on_the_way_is_sent_again_with_the_same_id(tmp_path):
    laser = MemoryModule("laser-a", [CUT])
    skill = laser.skills[CUT]
    skill.drop_starts = 2
    skill.complete_on_start = {"units": 1}
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1")
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        [attempt] = factory.attempts(order.order_id)
        assert skill.started == skill.start_calls == [attempt.execution_id]


async def test_a_rebooted_module_fails_its_attempt_and_the_work_runs_again(tmp_path):
    laser = MemoryModule("laser-a", [CUT])
    skill = laser.skills[CUT]
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1", boot_id="boot-1")
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until(lambda: active(factory) and active(factory).state is AttemptState.RUNNING)

        laser.reboot()
        skill.complete_on_start = {"units": 1}
        await plug_in(factory, laser, "A1", boot_id="boot-2")  # a new boot: epoch 2

        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        attempts = factory.attempts(order.order_id)
        assert [(a.epoch, a.state, a.error) for a in attempts] == [
            (1, AttemptState.FAILED, "module restarted (new epoch)"),
            (2, AttemptState.COMPLETE, ""),
        ]


async def test_after_a_restart_the_module_is_asked_and_a_completion_missed_is_recorded(
    tmp_path,
):
    laser = MemoryModule("laser-a", [CUT])
    skill = laser.skills[CUT]
    links = MemoryLinks(laser)
    db = tmp_path / "pnp.db"
    async with running_factory(db, links) as factory:
        await plug_in(factory, laser, "A1")
        order = (await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until(lambda: active(factory) and active(factory).state is AttemptState.RUNNING)
        [execution_id] = skill.started

    skill.complete({"units": 1})  # while nobody watches

    async with running_factory(db, links) as factory:
        await plug_in(factory, laser, "A1")  # same boot: same epoch
        await until(lambda: factory.order(order.order_id).state is OrderState.COMPLETED)
        [attempt] = factory.attempts(order.order_id)
        assert (attempt.execution_id, attempt.state) == (execution_id, AttemptState.COMPLETE)
        assert attempt.results == {"units": 1}  # from the module's answer
        recovered = [
            e.message
            async for e in factory.events.watch(0, follow=False)
            if e.kind == "operation.recovered"
        ]
        assert recovered == [f"{execution_id} on laser-a: module says complete"]
        await until(lambda: skill.state is PackMLState.IDLE)
        assert skill.started == [execution_id]
        assert skill.commands == ["Reset"]
