"""A herd of registrations is replanned for once, when it settles (``service.settling``),
and whoever wants the plan as things are now does not wait for the herd to settle."""

from __future__ import annotations

import asyncio

import pytest

from pnp.orchestrator.service.settling import Settling, SettlingTrigger
from tests.execution.test_executor_on_memory_modules import CUT_ONLY
from tests.service.test_group_commit import factory_on, module


def test_a_burst_settles_after_its_last_change_has_been_quiet_long_enough():
    settling = Settling(quiet=0.25, longest=2.0)
    assert settling.wait(0.0) is None  # nothing pending
    settling.changed(10.0)
    settling.changed(10.1)
    assert settling.wait(10.1) == pytest.approx(0.25)
    assert settling.wait(10.35) == 0.0
    settling.taken()
    assert not settling.pending and settling.wait(11.0) is None


def test_a_steady_trickle_is_acted_on_by_the_longest_wait_after_its_first_change():
    settling = Settling(quiet=0.25, longest=2.0)
    for tenth in range(30):  # a change every 0.1 s: never quiet for 0.25 s
        settling.changed(tenth / 10)
    assert settling.wait(2.9) == 0.0  # due since 2.0 s after the first
    settling.taken()
    settling.changed(3.0)
    assert settling.wait(3.0) == pytest.approx(0.25)  # the next burst counts anew


def test_the_quiet_time_cannot_exceed_the_longest_wait():
    with pytest.raises(ValueError):
        Settling(quiet=3.0, longest=2.0)


async def test_a_burst_of_changes_fires_once():
    fired = asyncio.Event()
    calls = []

    async def fire() -> None:
        calls.append(len(calls))
        fired.set()

    loop = asyncio.get_running_loop()
    trigger = SettlingTrigger(fire, loop.time, quiet=0.01, longest=5.0)
    for _ in range(100):
        trigger.changed()
    await fired.wait()
    await trigger.stop()
    assert calls == [0]


async def test_flush_fires_at_once_what_is_pending_and_nothing_when_nothing_is():
    calls = []

    async def fire() -> None:
        calls.append(len(calls))

    loop = asyncio.get_running_loop()
    trigger = SettlingTrigger(fire, loop.time, quiet=3600, longest=3600)
    await trigger.flush()
    assert calls == []
    trigger.changed()
    await trigger.flush()
    assert calls == [0]
    await trigger.stop()
    assert calls == [0]  # the waiter found nothing left to do


async def test_a_flush_cancelled_before_it_acted_leaves_the_changes_pending():
    started, release = asyncio.Event(), asyncio.Event()
    calls = []

    async def fire() -> None:
        calls.append(len(calls))
        started.set()
        await release.wait()  # e.g. waiting for the plan keeper's lock

    loop = asyncio.get_running_loop()
    trigger = SettlingTrigger(fire, loop.time, quiet=0.01, longest=5.0)
    trigger.changed()
    await trigger.stop()  # only the flush below acts
    flushing = asyncio.create_task(trigger.flush())
    await started.wait()
    flushing.cancel()  # the caller gave up before the replan went through
    with pytest.raises(asyncio.CancelledError):
        await flushing
    release.set()
    async with asyncio.timeout(30):  # the waiter acts on it once it has settled again
        while len(calls) < 2:
            await asyncio.sleep(0.01)
    await trigger.stop()
    assert calls == [0, 1]


async def test_the_current_plan_places_work_on_a_module_registered_just_before_it_was_asked_for(
    tmp_path,
):
    async with factory_on(tmp_path / "pnp.db") as factory:
        await factory.submit_order(CUT_ONLY, "plate.yaml", "r1")
        assert (await factory.plan(wait_for_current=True)).assignments == ()  # nothing cuts
        await factory.register_module(module(1).describe(dock="A1"), "b1")
        plan = await factory.plan(wait_for_current=True)  # not a settling later
        assert [a.module_id for a in plan.assignments] == ["cell-001"]
