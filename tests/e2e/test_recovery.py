"""Restart recovery: the orchestrator asks its modules what became of in-flight work.

Real orchestrator, real SQLite file, real simulated modules over OPC UA. The modules
keep running while the orchestrator is down; on its return the executor asks each
module about the execution ids it had in flight (QueryExecution) and settles them by
the answer, not by guessing from skill states.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.domain.recipe_loader import load_recipe
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.store import Store
from pnp.orchestrator.store.database import StoredOperation
from tests.conftest import start_factory
from tests.e2e.test_execution import CUT_ONLY, until_completed

SCALE = 100
SLOW = 40  # the weld (420 factory s) must outlast a restart and a module plugging in


async def _events(factory, kind: str) -> list[str]:
    return [e.message async for e in factory.events.watch(0, follow=False) if e.kind == kind]


async def _until(predicate, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_work_that_completed_while_the_orchestrator_was_down_is_recorded_not_rerun(
    tmp_path,
):
    running = await start_factory(tmp_path, time_scale=SCALE, heartbeat_interval=0.2, lease_ttl=1)
    try:
        laser = await running.plug_in("laser-cutter", "A1", time_scale=SCALE)
        order = (await running.factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await _until(lambda: any(a.state.is_active for a in running.factory.attempts()))
        [in_flight] = running.factory.attempts()

        await running.stop_orchestrator()
        skill = laser.skills["cutting.laser"]
        await _until(lambda: skill.state.label == "Complete")  # finished with nobody watching
        await running.start_orchestrator()

        await until_completed(running.factory, order.order_id)
        [attempt] = running.factory.attempts(order.order_id)
        assert attempt.execution_id == in_flight.execution_id
        assert attempt.state is AttemptState.COMPLETE
        assert attempt.results["units"] == 1  # the results came from the module's answer
        assert skill.executions_started == 1
        recovered = await _events(running.factory, "operation.recovered")
        assert recovered == [f"{attempt.execution_id} on laser-cutter-a1: module says complete"]
        await _until(lambda: skill.state.label == "Idle")  # tidied for the next job
    finally:
        await running.close()


async def _seed_ghost_attempt(running, state: AttemptState) -> tuple[str, str]:
    """With the orchestrator stopped, writes an order and an attempt the module never
    heard of, as a crash between the two writes and the Start call would leave them."""
    store = Store.open_sqlite(running.db_path)
    try:
        recipe = load_recipe(CUT_ONLY, "plate.yaml")
        stored = store.add_order(
            request_id="ghost",
            source="plate.yaml",
            recipe_yaml=CUT_ONLY,
            state="AllowedToStart",
            submitted_at=store_now(),
            operations=lambda order_id: StoredOperation.of_order(order_id, recipe),
        )
        [operation] = store.operations(stored.order_id)
        [lease] = store.leases("laser-cutter-a1")
        store.attempts.add(
            Attempt(
                execution_id="x-ghost",
                operation_id=operation.operation_id,
                order_id=stored.order_id,
                module_id="laser-cutter-a1",
                epoch=lease.epoch,
                capability="cutting.laser",
                parameters=dict(operation.parameters),
                units=1,
                state=state,
                started_at=store_now(),
            )
        )
        return stored.order_id, "x-ghost"
    finally:
        store.close()


def store_now() -> datetime:
    return datetime.now(UTC)


async def test_an_execution_recorded_but_never_started_is_started_once_with_the_same_id(
    tmp_path,
):
    running = await start_factory(tmp_path, time_scale=SCALE, heartbeat_interval=0.2, lease_ttl=1)
    try:
        laser = await running.plug_in("laser-cutter", "A1", time_scale=SCALE)
        await running.stop_orchestrator()
        order_id, execution_id = await _seed_ghost_attempt(running, AttemptState.STARTING)
        await running.start_orchestrator()

        await until_completed(running.factory, order_id)
        [attempt] = running.factory.attempts(order_id)
        assert (attempt.execution_id, attempt.state) == (execution_id, AttemptState.COMPLETE)
        assert list(laser.skills["cutting.laser"].history) == [execution_id]
        recovered = await _events(running.factory, "operation.recovered")
        assert recovered == [f"{execution_id} on laser-cutter-a1: module says unknown"]
    finally:
        await running.close()


async def test_an_execution_the_module_does_not_know_is_failed_and_run_again(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE, heartbeat_interval=0.2, lease_ttl=1)
    try:
        laser = await running.plug_in("laser-cutter", "A1", time_scale=SCALE)
        await running.stop_orchestrator()
        order_id, execution_id = await _seed_ghost_attempt(running, AttemptState.RUNNING)
        await running.start_orchestrator()

        await until_completed(running.factory, order_id)
        ghost, rerun = running.factory.attempts(order_id)
        assert (ghost.execution_id, ghost.state) == (execution_id, AttemptState.FAILED)
        assert ghost.error == "the module does not know this execution"
        assert rerun.state is AttemptState.COMPLETE and rerun.execution_id != execution_id
        assert execution_id not in laser.skills["cutting.laser"].history
    finally:
        await running.close()


async def test_a_restarted_orchestrator_resumes_from_the_stored_plan(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE)
    try:
        await running.plug_in("laser-cutter", "A1", time_scale=SCALE)
        order = (await running.factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        plan = await running.factory.plan(wait_for_current=True)
        assert plan.version >= 1 and plan.assignments
        await _until(lambda: running.factory.store.plans.latest() is not None)
        await _until(lambda: running.factory.store.plans.latest().version == plan.version)

        await running.stop_orchestrator()
        plan = running.factory.plans.plan  # the last one the stopped orchestrator made
        # Before it starts, a new orchestrator already holds the last plan it made.
        reopened = Factory(Store.open_sqlite(running.db_path), layout=None)
        try:
            resumed = reopened.plans.plan
        finally:
            reopened.store.close()
        assert resumed.version == plan.version
        assert resumed.assignments == plan.assignments
        assert resumed.line_graphs == plan.line_graphs

        await running.start_orchestrator()
        await until_completed(running.factory, order.order_id)
        later = await running.factory.plan(wait_for_current=True)
        assert later.version > plan.version
        versions = running.factory.store.plans.versions()
        assert versions == sorted(set(versions)) and plan.version in versions
    finally:
        await running.close()


async def test_telemetry_is_stored_under_the_execution_it_was_measured_in(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE)
    try:
        await running.plug_in("laser-cutter", "A1", time_scale=SCALE)
        order = (await running.factory.submit_order(CUT_ONLY, "plate.yaml", "r1")).record
        await until_completed(running.factory, order.order_id)
        [attempt] = running.factory.attempts(order.order_id)
        await _until(lambda: running.factory.store.telemetry.of_executions([attempt.execution_id]))
        samples = running.factory.store.telemetry.of_executions([attempt.execution_id])
        names = {s.name for s in samples}
        assert "PowerKw" in names
        assert all(s.module_id == "laser-cutter-a1" for s in samples)
        assert all(attempt.started_at <= s.time for s in samples)
        # Every stored sample is a real number the module published.
        assert all(json.dumps(s.value) for s in samples)
    finally:
        await running.close()


CUT_THEN_WELD = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: bracket}
spec:
  product: bracket
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
    - {id: weld, capability: joining.welding, after: [cut],
       parameters: {process: MIG, material: steel-s235}}
"""


async def test_planning_after_a_restart_keeps_work_done_on_a_module_that_did_not_come_back(
    tmp_path, caplog
):
    running = await start_factory(tmp_path, time_scale=SLOW, heartbeat_interval=0.2, lease_ttl=1)
    try:
        await running.plug_in("laser-cutter", "A1", time_scale=SLOW)
        await running.plug_in("welding-cell", "A2", time_scale=SLOW)
        factory = running.factory
        order = (await factory.submit_order(CUT_THEN_WELD, "bracket.yaml", "r1")).record
        await _until(
            lambda: any(
                a.operation_id.endswith("/weld") and a.state.is_active
                for a in running.factory.attempts()
            ),
            timeout=60,
        )
        await running.stop_orchestrator()
        laser_task = running._module_tasks[0]
        laser_task.cancel()  # the laser is unplugged while the orchestrator is down
        await asyncio.gather(laser_task, return_exceptions=True)
        await running.start_orchestrator()
        await _until(lambda: _alive(running.factory, "welding-cell-a2"))
        await running.factory.plans.inputs_changed()
        before = (await running.factory.plan(wait_for_current=True)).version
        # Another laser arrives: the cut (done on the absent laser) could now be planned
        # there, but it must stay where it ran, since the weld after it is under way.
        await running.plug_in("multi-laser", "C2", time_scale=SLOW)
        await running.factory.plans.inputs_changed()
        replanned = await running.factory.plan(wait_for_current=True)
        # A real new plan, not the old one announced again after a failed solve.
        assert replanned.version > before
        assert all(a.module_id != "multi-laser-c2" for a in replanned.assignments)
        assert not [r for r in caplog.records if "planning failed" in r.getMessage()]
        await until_completed(running.factory, order.order_id, timeout=60)
    finally:
        await running.close()


def _alive(factory, module_id: str) -> bool:
    return any(
        e.module_id == module_id and e.liveness.value == "alive" for e in factory.registry.entries()
    )
