"""History stays in the store: a (re)started factory holds open orders and the attempts
that can still change, and reads closed orders and settled attempts back when asked.

Real factories on SQLite files in a temporary folder, with in-memory modules
(``execution.memory_link``); no sockets.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.domain.recipe_loader import load_recipe, reload_recipe
from pnp.orchestrator.errors import NotFound
from pnp.orchestrator.execution.memory_link import MemoryLinks, MemoryModule
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredOperation
from tests.execution.test_executor_on_memory_modules import (
    CUT,
    CUT_ONLY,
    SETTINGS,
    plug_in,
    running_factory,
    until,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def stored_order(store: Store, n: int, state: OrderState, attempt: AttemptState | None) -> str:
    """An order written straight to the store, with one attempt in ``attempt``'s state."""
    recipe = load_recipe(CUT_ONLY, "plate.yaml")
    order = store.add_order(
        request_id=f"history-{n}",
        source="plate.yaml",
        recipe_yaml=CUT_ONLY,
        state=state.value,
        submitted_at=T0,
        operations=lambda order_id: StoredOperation.of_order(order_id, recipe),
    )
    if attempt is not None:
        [operation] = store.operations(order.order_id)
        store.attempts.add(
            Attempt(
                execution_id=f"x-{uuid.uuid4().hex[:16]}",
                operation_id=operation.operation_id,
                order_id=order.order_id,
                module_id="laser-a",
                epoch=1,
                capability=CUT,
                parameters={},
                units=1,
                state=attempt,
                started_at=T0 + timedelta(minutes=n),
                ended_at=None if attempt.is_active else T0 + timedelta(minutes=n + 1),
                results={"units": 1} if attempt is AttemptState.COMPLETE else {},
            )
        )
    return order.order_id


def factory_history(db: Path) -> dict[str, str]:
    """A store with 20 completed orders, one aborted whose attempt is still running on
    its module, and one open order with a failed attempt; returns their ids by role."""
    store = Store.open_sqlite(db)
    try:
        ids = {
            f"done-{n}": stored_order(store, n, OrderState.COMPLETED, AttemptState.COMPLETE)
            for n in range(20)
        }
        ids["aborted"] = stored_order(store, 20, OrderState.ABORTED, AttemptState.RUNNING)
        ids["open"] = stored_order(store, 21, OrderState.RUNNING, AttemptState.FAILED)
        return ids
    finally:
        store.close()


async def test_a_restart_holds_only_open_orders_and_the_attempts_that_can_still_change(
    tmp_path,
):
    ids = factory_history(tmp_path / "pnp.db")
    factory = Factory(Store.open_sqlite(tmp_path / "pnp.db"), settings=SETTINGS)  # loaded
    try:
        assert [o.order_id for o in factory.open_orders()] == [ids["open"]]
        held = {(a.order_id, a.state) for a in factory.ledger}
        assert held == {
            (ids["open"], AttemptState.FAILED),  # where the open order's work failed before
            (ids["aborted"], AttemptState.RUNNING),  # still to be settled with its module
        }
    finally:
        factory.store.close()


async def test_closed_orders_and_their_attempts_are_read_back_from_the_store(tmp_path):
    ids = factory_history(tmp_path / "pnp.db")
    async with running_factory(tmp_path / "pnp.db", MemoryLinks()) as factory:
        done = await factory.order_view(ids["done-3"])
        assert done.state is OrderState.COMPLETED
        assert (done.operations_done, done.operations_total) == (1, 1)
        assert done.completed_at == T0 + timedelta(minutes=4)
        assert factory.order(ids["done-3"]) == done  # the synchronous form agrees

        [attempt] = await factory.attempts_of(ids["done-3"])
        assert (attempt.state, attempt.results) == (AttemptState.COMPLETE, {"units": 1})
        assert factory.attempts(ids["done-3"]) == [attempt]

        listed = await factory.order_views()
        assert [v.record.order_id for v in listed] == list(ids.values())  # oldest first
        assert factory.orders() == listed
        assert len(await factory.attempts_of()) == 22
        outcomes = await factory.attempt_outcomes()
        # The aborted order's attempt may have been settled (failed) by now.
        assert (outcomes["complete"], sum(outcomes.values())) == (20, 22)


async def test_an_unknown_order_is_not_found_in_memory_or_in_the_store(tmp_path):
    factory_history(tmp_path / "pnp.db")
    async with running_factory(tmp_path / "pnp.db", MemoryLinks()) as factory:
        with pytest.raises(NotFound, match="ord-99999"):
            await factory.order_view("ord-99999")
        with pytest.raises(NotFound, match="ord-99999"):
            await factory.attempts_of("ord-99999")
        with pytest.raises(NotFound, match="ord-99999"):
            factory.order("ord-99999")


async def test_a_completed_order_leaves_memory_and_stays_readable(tmp_path):
    laser = MemoryModule("laser-a", [CUT])
    laser.skills[CUT].complete_on_start = {"units": 1}
    async with running_factory(tmp_path / "pnp.db", MemoryLinks(laser)) as factory:
        await plug_in(factory, laser, "A1")
        orders = [
            (await factory.submit_order(CUT_ONLY, "plate.yaml", f"r{n}")).record.order_id
            for n in range(3)
        ]
        for order_id in orders:
            await until(lambda o=order_id: factory.order(o).state is OrderState.COMPLETED)

        assert factory.open_orders() == []
        assert list(factory.ledger) == []  # every attempt is history now
        for order_id in orders:
            view = await factory.order_view(order_id)
            assert (view.operations_done, view.operations_total) == (1, 1)
            [attempt] = await factory.attempts_of(order_id)
            assert attempt.state is AttemptState.COMPLETE
        # A retry of a long-closed order's submission finds it, and does not reopen it.
        again = await factory.submit_order(CUT_ONLY, "plate.yaml", "r0")
        assert (again.record.order_id, again.state) == (orders[0], OrderState.COMPLETED)
        assert factory.open_orders() == []


def test_a_stored_recipe_reads_back_the_same_the_quick_way():
    examples = sorted((Path(__file__).parents[2] / "recipes" / "orders").glob("*.yaml"))
    assert examples
    for path in examples:
        text = path.read_text()
        assert reload_recipe(text, path.name) == load_recipe(text, path.name), path
