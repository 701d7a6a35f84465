"""The store keeps the same promises on SQLite and on PostgreSQL (``database`` runs each
test on both): dense order ids from the row sequence, idempotent submissions, epochs and
leases per registration, attempts, a gap-free event log, pruned plan versions,
telemetry per execution, and a versioned schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.events import Event
from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredOperation
from pnp.orchestrator.store.migrations import LATEST
from pnp.orchestrator.store.plans import PlanStore
from pnp.orchestrator.store.telemetry import TelemetrySample

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _add(store: Store, request_id: str, operations: int = 0):
    def expand(order_id: str) -> list[StoredOperation]:
        return [
            StoredOperation(
                operation_id=f"{order_id}/s{n}",
                order_id=order_id,
                step_id=f"s{n}",
                lot=1,
                units=2,
                capability="cutting.laser",
                parameters={"thickness_mm": 3},
                after=(f"{order_id}/s{n - 1}",) if n else (),
            )
            for n in range(operations)
        ]

    return store.add_order(
        request_id=request_id,
        source=f"{request_id}.yaml",
        recipe_yaml="kind: Order",
        state="AllowedToStart",
        submitted_at=T0,
        operations=expand,
    )


def _attempt(execution_id: str, state=AttemptState.STARTING, **more) -> Attempt:
    return Attempt(
        execution_id=execution_id,
        operation_id="ord-00001/s0",
        order_id="ord-00001",
        module_id="laser-cutter-a1",
        epoch=1,
        capability="cutting.laser",
        parameters={"thickness_mm": 3},
        units=2,
        state=state,
        started_at=T0,
        **more,
    )


def test_order_ids_come_from_the_row_sequence_and_a_retry_is_the_same_order(store):
    first, second = _add(store, "r1", operations=2), _add(store, "r2")
    assert (first.order_id, second.order_id) == ("ord-00001", "ord-00002")
    assert _add(store, "r1") == first
    assert [o.order_id for o in store.orders()] == ["ord-00001", "ord-00002"]
    [cut, after] = store.operations("ord-00001")
    assert (cut.operation_id, cut.parameters, after.after) == (
        "ord-00001/s0",
        {"thickness_mm": 3},
        ("ord-00001/s0",),
    )
    store.set_order_state("ord-00002", "Completed")
    assert store.order("ord-00002").state == "Completed"
    assert store.order("ord-00003") is None


def test_a_registration_keeps_one_lease_per_epoch(store):
    store.save_module(
        module_id="m1", epoch=1, boot_id="b1", descriptor_json="{}", registered_at=T0,
        lease_ttl_seconds=2.0,
    )  # fmt: skip
    later = T0 + timedelta(seconds=5)
    store.save_module(
        module_id="m1", epoch=2, boot_id="b2", descriptor_json="{}", registered_at=later
    )
    [module] = store.modules()
    assert (module.epoch, module.boot_id) == (2, "b2")
    old, new = store.leases("m1")
    assert (old.epoch, old.ended_at, old.end_reason) == (1, later, "superseded by epoch 2")
    assert (new.epoch, new.ended_at) == (2, None)
    store.end_lease("m1", 2, later, "lease expired")
    store.end_lease("m1", 2, later, "deregistered")  # the first reason stays
    assert store.leases("m1")[1].end_reason == "lease expired"


def test_attempts_are_stored_then_updated_as_the_module_answers(store):
    store.attempts.add(_attempt("x1"))
    store.attempts.update(
        _attempt("x1", AttemptState.COMPLETE, ended_at=T0 + timedelta(seconds=9),
                 results={"units": 2})
    )  # fmt: skip
    [attempt] = store.attempts.all()
    assert (attempt.state, attempt.results) == (AttemptState.COMPLETE, {"units": 2})
    assert store.attempts.of_order("ord-00001") == [attempt]
    with pytest.raises(IntegrityError):
        store.attempts.add(_attempt("x1"))  # an execution id is recorded once


def test_the_event_log_refuses_a_sequence_number_twice(store):
    events = [Event(n, T0, "order.submitted", f"ord-{n}", "m") for n in (1, 2, 3)]
    store.events.append(events)
    assert store.events.last_sequence() == 3
    assert [e.sequence for e in store.events.after(1)] == [2, 3]
    with pytest.raises(IntegrityError):
        store.events.append([Event(3, T0, "order.submitted", "again", "m")])
    assert store.events.last_sequence() == 3


def test_plan_versions_are_pruned_beyond_the_ones_kept(store):
    plans = PlanStore(store.engine, keep=2)
    for version in (1, 2, 3):
        plans.add(version, T0, "OPTIMAL", f'{{"v": {version}}}')
    assert plans.versions() == [2, 3]
    assert plans.latest().plan_json == '{"v": 3}'
    assert store.last_recorded_time() == T0


def test_telemetry_is_read_back_per_execution(store):
    store.telemetry.add(
        [
            TelemetrySample("x1", "m1", "PowerKw", T0, 4.5),
            TelemetrySample("x2", "m1", "PowerKw", T0, 1),
        ]
    )
    [sample] = store.telemetry.of_executions(["x1"])
    assert (sample.name, sample.value, sample.time) == ("PowerKw", 4.5, T0)


def test_a_new_database_is_at_the_newest_schema_and_opening_again_changes_nothing(database):
    first = Store.open(database)
    try:
        assert (first.migrated_from, first.schema_version) == (0, LATEST)
        _add(first, "r1")
    finally:
        first.close()
    again = Store.open(database)
    try:
        assert (again.migrated_from, again.schema_version) == (LATEST, LATEST)
        assert [o.order_id for o in again.orders()] == ["ord-00001"]
    finally:
        again.close()


def test_a_postgresql_url_with_a_password_is_refused_without_echoing_it():
    with pytest.raises(BadInput) as refused:
        Store.open("postgresql://pnp:s3cret@db.example:5432/pnp")
    assert "s3cret" not in str(refused.value)
    assert "PNP_DB_PASSWORD" in str(refused.value)


@pytest.mark.parametrize("url", ["mysql://pnp@db/pnp", "postgresql://pnp@db.example:5432"])
def test_a_database_url_pnp_cannot_use_is_refused_as_bad_input(url):
    with pytest.raises(BadInput) as refused:
        Store.open(url)
    assert refused.value.message.startswith(f"--db {url}: ")
