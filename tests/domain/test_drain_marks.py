"""A drain or release outlives an orchestrator restart for the same unit, not another."""

from __future__ import annotations

from datetime import UTC, datetime

from pnp.orchestrator.domain.drain_marks import DrainMarks, drain_marks
from pnp.orchestrator.domain.events import Event

T = datetime(2026, 12, 1, tzinfo=UTC)


def events(*kinds_and_messages: tuple[str, str]) -> list[Event]:
    """Oldest first in the call, newest first in the answer, as the store gives them."""
    made = [Event(n, T, k, "booth", m) for n, (k, m) in enumerate(kinds_and_messages, 1)]
    return made[::-1]


REGISTERED_1 = ("module.registered", "paint-booth on dock A3, epoch 1")


def test_the_same_epoch_keeps_its_release():
    history = events(REGISTERED_1, ("module.draining", "drain requested"), ("module.released", "x"))
    assert drain_marks(history, 1) == DrainMarks(draining=True, released=True)


def test_the_same_epoch_keeps_a_drain_still_under_way():
    history = events(REGISTERED_1, ("module.draining", "drain requested"))
    assert drain_marks(history, 1) == DrainMarks(draining=True, released=False)


def test_a_new_unit_starts_fresh():
    history = events(REGISTERED_1, ("module.draining", "drain requested"), ("module.released", "x"))
    assert drain_marks(history, 2) == DrainMarks()


def test_a_deregistration_ends_the_marks():
    history = events(REGISTERED_1, ("module.draining", "d"), ("module.deregistered", "epoch 1"))
    assert drain_marks(history, 1) == DrainMarks()
