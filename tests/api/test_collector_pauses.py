"""The serving process freezes what survives a long full garbage collection, so that
the next full pass does not scan a floor of long-lived sessions again
(api/collector_pauses.py)."""

from __future__ import annotations

import gc

from pnp.orchestrator.api.collector_pauses import (
    FreezeAfterLongPasses,
    freezing_after_long_passes,
)

FULL, YOUNG = {"generation": 2}, {"generation": 0}


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _guard(budget: float = 0.02):
    clock, scheduled, freezes = _Clock(), [], []
    guard = FreezeAfterLongPasses(
        scheduled.append, budget=budget, freeze=lambda: freezes.append(clock.now), clock=clock
    )
    return guard, clock, scheduled, freezes


def _pass(guard: FreezeAfterLongPasses, clock: _Clock, seconds: float, info=FULL) -> None:
    guard("start", info)
    clock.now += seconds
    guard("stop", info)


def test_a_full_pass_longer_than_the_budget_has_its_survivors_frozen_on_the_loop():
    guard, clock, scheduled, freezes = _guard(budget=0.02)
    _pass(guard, clock, 0.3)
    assert freezes == []  # not inside the collector's callback
    scheduled.pop()()
    assert freezes == [0.3]
    assert guard.frozen_after == [0.3]


def test_short_full_passes_and_young_passes_change_nothing():
    guard, clock, scheduled, _ = _guard(budget=0.02)
    _pass(guard, clock, 0.01)
    _pass(guard, clock, 0.5, info=YOUNG)
    assert scheduled == []


def test_long_passes_before_the_loop_froze_once_ask_for_one_freeze():
    guard, clock, scheduled, freezes = _guard()
    _pass(guard, clock, 0.3)
    _pass(guard, clock, 0.4)
    assert len(scheduled) == 1
    scheduled.pop()()
    _pass(guard, clock, 0.5)  # after that freeze, the next long pass asks again
    scheduled.pop()()
    assert freezes == [0.7, 1.2]


def test_installed_for_the_block_it_sees_real_full_collections():
    scheduled = []
    with freezing_after_long_passes(scheduled.append, budget=0.0) as guard:
        assert guard in gc.callbacks
        gc.collect()
        assert len(scheduled) == 1  # the pass took more than no time at all
        gc.collect(0)  # a young pass: not a full one
        assert len(scheduled) == 1
    assert guard not in gc.callbacks
