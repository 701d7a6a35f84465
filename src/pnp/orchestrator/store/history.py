"""Reads of the factory's history: what a (re)started orchestrator needs and no more,
and what it reads on demand instead of keeping in memory.

A takeover loads only open orders and the attempts that can still change (those of
open orders, and any still starting or running); closed orders and settled attempts
stay here and are read when someone asks (``pnp order show``, ``pnp history``,
exports, the console, metrics). Synchronous and short, like the rest of the store:
the service runs them with ``asyncio.to_thread``. Built on the store's engine
(``HistoryStore(store.engine)``) rather than held by ``Store``, which it imports.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.engine import Engine

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.store import schema
from pnp.orchestrator.store.attempt_rows import attempt_of
from pnp.orchestrator.store.database import StoredOrder, _order, attempts_where

ACTIVE_ATTEMPT_STATES = tuple(s.value for s in AttemptState if s.is_active)


class HistoryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- orders -----------------------------------------------------------------------

    def orders_in(self, states: Collection[str]) -> list[StoredOrder]:
        """Orders in one of ``states`` (the open ones, at a takeover), oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(schema.orders)
                .where(schema.orders.c.state.in_(list(states)))
                .order_by(schema.orders.c.seq)
            )
            return [_order(row) for row in rows]

    def order_states(self) -> list[tuple[str, str]]:
        """(order id, state) of every order, oldest first: cheap, no recipe text."""
        orders = schema.orders
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(orders.c.order_id, orders.c.state).order_by(orders.c.seq)
            )
            return [(row.order_id, row.state) for row in rows]

    def orders_by_id(self, order_ids: Iterable[str]) -> list[StoredOrder]:
        wanted = list(order_ids)
        found: list[StoredOrder] = []
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):  # under any driver's parameter limit
                rows = connection.execute(
                    select(schema.orders).where(
                        schema.orders.c.order_id.in_(wanted[start : start + 500])
                    )
                )
                found.extend(_order(row) for row in rows)
        return found

    # -- attempts ---------------------------------------------------------------------

    def attempts_to_resume(self, open_states: Collection[str]) -> list[Attempt]:
        """The attempts a takeover keeps in memory: every attempt of an open order (its
        operations' progress, where earlier tries failed) and any still in flight."""
        attempts, orders = schema.attempts, schema.orders
        open_orders = select(orders.c.order_id).where(orders.c.state.in_(list(open_states)))
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(attempts)
                .where(
                    or_(
                        attempts.c.order_id.in_(open_orders),
                        attempts.c.state.in_(ACTIVE_ATTEMPT_STATES),
                    )
                )
                .order_by(attempts.c.started_at)
            )
            return [attempt_of(row) for row in rows]

    def attempt(self, execution_id: str) -> Attempt | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(schema.attempts).where(schema.attempts.c.execution_id == execution_id)
            ).first()
            return attempt_of(row) if row is not None else None

    def attempts_before(
        self,
        before: tuple[datetime, str] | None,
        limit: int,
        *,
        order_id: str = "",
        module_id: str = "",
    ) -> list[Attempt]:
        """Up to ``limit`` attempts that started before ``before`` (a start and, for
        attempts that started at the same moment, an execution id; any, for None), newest
        first, only the order's or the module's when one is named: one keyset page."""
        attempts = schema.attempts
        query = (
            select(attempts)
            .order_by(attempts.c.started_at.desc(), attempts.c.execution_id.desc())
            .limit(limit)
        )
        if before is not None:
            started, execution_id = before[0].isoformat(), before[1]
            query = query.where(
                or_(
                    attempts.c.started_at < started,
                    and_(attempts.c.started_at == started, attempts.c.execution_id < execution_id),
                )
            )
        if order_id:
            query = query.where(attempts.c.order_id == order_id)
        if module_id:
            query = query.where(attempts.c.module_id == module_id)
        with self.engine.connect() as connection:
            return [attempt_of(row) for row in connection.execute(query)]

    def attempts_of_operation(self, operation_id: str) -> list[Attempt]:
        return attempts_where(self.engine, schema.attempts.c.operation_id == operation_id)

    def attempts_of_module(self, module_id: str) -> list[Attempt]:
        return attempts_where(self.engine, schema.attempts.c.module_id == module_id)

    def done_operations(
        self, order_ids: Iterable[str] | None = None
    ) -> dict[str, tuple[int, datetime | None]]:
        """Per order: how many of its operations completed and when the last one ended
        (orders with none completed are left out); every order when ``order_ids`` is None."""
        attempts = schema.attempts
        query = (
            select(
                attempts.c.order_id,
                func.count(distinct(attempts.c.operation_id)),
                func.max(attempts.c.ended_at),
            )
            .where(attempts.c.state == AttemptState.COMPLETE.value)
            .group_by(attempts.c.order_id)
        )
        found: dict[str, tuple[int, datetime | None]] = {}
        with self.engine.connect() as connection:
            if order_ids is None:
                batches = [connection.execute(query)]
            else:
                wanted = list(order_ids)
                batches = [
                    connection.execute(
                        query.where(attempts.c.order_id.in_(wanted[start : start + 500]))
                    )
                    for start in range(0, len(wanted), 500)
                ]
            for rows in batches:
                for order_id, done, last_end in rows:
                    found[order_id] = (
                        int(done),
                        datetime.fromisoformat(last_end) if last_end else None,
                    )
        return found

    def attempt_outcomes(self) -> dict[str, int]:
        """How many attempts ended (or stand) in each state."""
        attempts = schema.attempts
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(attempts.c.state, func.count()).group_by(attempts.c.state)
            )
            return {state: int(count) for state, count in rows}
