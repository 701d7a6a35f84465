"""The executor: runs the plan on the modules over OPC UA, and records every attempt.

A reconcile loop, level-triggered: each pass compares what should be happening (the
plan, the attempts) with what is (the registry, the skills' PackML states seen over
OPC UA) and acts on the difference. Any change pokes it; a timer runs it anyway, so a
missed notification costs at most one tick.

Per pass:
1. keep one OPC UA link per live module (``ModuleLink`` reconnects by itself);
2. settle active attempts: Complete -> record results, Reset; Aborted/Stopped ->
   record the failure, Clear/Reset, and the operation waits for a new attempt; a lost
   or rebooted module fails its attempt; an unconfirmed Start is sent again with the
   same execution id (modules never run an id twice);
3. start what ``next_dispatches`` says, recording the execution id before calling Start;
4. move orders to Running and Completed;
5. store the telemetry that came in, filed under the execution running on its module.

After a restart, attempts that were in flight are not guessed at from skill states:
the first time each one's module is reachable, the module is asked (QueryExecution)
whether the execution id is running, complete, stopped/aborted, or unknown to it, and
the attempt is settled by that answer (an unknown id that was still being started is
started again with the same id; one the module should have been running is failed
and the operation re-run).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pnp.orchestrator.domain.attempts import Attempt, AttemptState, OperationStatus, progress_of
from pnp.orchestrator.domain.operations import OperationSpec, expand_order
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.execution.dispatch import PlannedOperation, next_dispatches
from pnp.orchestrator.execution.opcua_link import (
    CommandRefused,
    ExecutionReport,
    LinkDown,
    ModuleLink,
)
from pnp.orchestrator.registry import Liveness
from pnp.orchestrator.store.telemetry import TelemetrySample

if TYPE_CHECKING:
    from pnp.orchestrator.service.factory import Factory

log = logging.getLogger(__name__)

TICK_SECONDS = 0.25
STOP_SECONDS = 5.0
UNITS_KEY = "_units"  # the SDK's reserved parameter: units in this execution
_FINISHED = {"Complete", "Aborted", "Stopped"}
MAX_BUFFERED_SAMPLES = 50_000  # telemetry waiting for the disk; beyond this, oldest dropped

LinkFactory = Callable[[str, str, Callable[[], None]], ModuleLink]


class Executor:
    def __init__(self, factory: Factory, link_factory: LinkFactory | None = None) -> None:
        self.factory = factory
        self.links: dict[str, tuple[ModuleLink, asyncio.Task]] = {}
        self.attempts: dict[str, Attempt] = {}
        self._active_on: dict[str, str] = {}  # module id -> execution id running there
        for attempt in factory.store.attempts.all():
            self._put(attempt)
        # Executions a previous run left in flight: their modules are asked about them
        # (QueryExecution) before anything else is done with them.
        self._to_ask: set[str] = {
            a.execution_id for a in self.attempts.values() if a.state.is_active
        }
        self._samples: list[TelemetrySample] = []
        self._link_factory = link_factory or functools.partial(
            ModuleLink, security=factory.settings.opcua_security
        )
        self._poked = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._specs: dict[str, dict[str, OperationSpec]] = {}  # order id -> op id -> spec
        self._configuration: dict[str, dict[str, str]] = {}  # module id -> parameter -> value
        self._failures_seen = False  # an attempt failed this pass: the replan is a repair
        self._started = 0.0

    def start(self) -> None:
        self._started = self.factory.clock.monotonic()
        self._task = asyncio.create_task(self._run(), name="executor")

    def _in_grace_period(self) -> bool:
        """No module is declared lost for its in-flight work until every module has had
        time to re-register after an orchestrator (re)start."""
        settings = self.factory.settings
        grace = max(settings.restart_grace, 2 * settings.lease_ttl)
        return self.factory.clock.monotonic() - self._started < grace

    async def stop(self) -> None:
        tasks = [task for _, task in self.links.values()]
        if self._task is not None:
            tasks.append(self._task)
        for task in tasks:
            task.cancel()
        if tasks:
            # A link stuck in a library's shutdown must not hold the orchestrator's.
            _, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
            for task in stuck:
                log.warning("%s did not stop within %.0f s", task.get_name(), STOP_SECONDS)
        self.links.clear()

    def poke(self) -> None:
        self._poked.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK_SECONDS):
                    await self._poked.wait()
            self._poked.clear()
            try:
                await self.reconcile()
            except Exception:  # a bug in one pass must not stop production
                log.exception("executor pass failed; retrying on the next tick")

    # -- one pass ---------------------------------------------------------------------

    async def reconcile(self) -> None:
        self._sync_links()
        changed = await self._settle_attempts()
        await self._tidy_idle_modules()
        self._release_drained()
        changed |= await self._dispatch()
        changed |= await self._update_orders()
        await self._store_telemetry()
        if changed:
            urgent, self._failures_seen = self._failures_seen, False
            await self.factory.plans.inputs_changed(urgent=urgent)

    def _sync_links(self) -> None:
        wanted = {
            entry.module_id: entry.description.opcua_endpoint
            for entry in self.factory.registry.entries()
            if entry.liveness.occupies_dock and entry.description.opcua_endpoint
        }
        for module_id, (link, task) in list(self.links.items()):
            if wanted.get(module_id) != link.endpoint:
                task.cancel()
                del self.links[module_id]
        for module_id, endpoint in wanted.items():
            if module_id not in self.links:
                link = self._link_factory(module_id, endpoint, self.poke)
                link.on_telemetry = self._telemetry_seen
                task = asyncio.create_task(link.run(), name=f"link-{module_id}")
                self.links[module_id] = (link, task)

    def _link(self, module_id: str) -> ModuleLink | None:
        entry = self.links.get(module_id)
        if entry is None or not entry[0].connected.is_set():
            return None
        return entry[0]

    async def _settle_attempts(self) -> bool:
        changed = False
        for attempt in [a for a in self.attempts.values() if a.state.is_active]:
            changed |= await self._settle(attempt)
        return changed

    async def _settle(self, attempt: Attempt) -> bool:
        if not self.factory.order_record(attempt.order_id).state.is_open:
            return await self._abort_cancelled(attempt)
        registry = self.factory.registry
        try:
            entry = registry.get(attempt.module_id)
        except Exception:
            entry = None
        if entry is None and self._in_grace_period():
            return False  # after a restart, modules need a moment to register again
        if entry is None or entry.liveness in (Liveness.LOST, Liveness.GONE):
            if self.factory.breaker.tripped and entry is not None:
                return False  # we may be the ones cut off: wait rather than run it twice
            await self._finish(
                attempt, AttemptState.FAILED, error=f"module {attempt.module_id} lost"
            )
            return True
        if entry.epoch != attempt.epoch:
            await self._finish(attempt, AttemptState.FAILED, error="module restarted (new epoch)")
            return True
        link = self._link(attempt.module_id)
        if link is None:
            return False  # wait for the link (or for the lease to decide)
        view = link.skills.get(attempt.capability)
        if view is None:
            await self._finish(attempt, AttemptState.FAILED, error="module has no such skill")
            return True
        if attempt.execution_id in self._to_ask:
            return await self._recover(link, attempt)
        if view.execution_id != attempt.execution_id:
            if attempt.state is AttemptState.STARTING:
                return await self._send_start(link, attempt)
            return False  # the subscription has not caught up yet
        if view.state == "Complete":
            try:
                results = await link.result(attempt.capability)
            except LinkDown:
                return False
            await self._finish(attempt, AttemptState.COMPLETE, results=results)
            await self._tidy(link, attempt.capability, "Complete")
            return True
        if view.state in ("Aborted", "Stopped", "Aborting", "Stopping"):
            if view.state in ("Aborting", "Stopping"):
                return False
            await self._finish(attempt, AttemptState.FAILED, error=f"skill {view.state.lower()}")
            await self._tidy(link, attempt.capability, view.state)
            return True
        if attempt.state is AttemptState.STARTING:
            self._put(dataclasses.replace(attempt, state=AttemptState.RUNNING))
            await self._save(self.attempts[attempt.execution_id])
        return False

    async def _recover(self, link: ModuleLink, attempt: Attempt) -> bool:
        """Settles an attempt left in flight by a previous run, by asking its module."""
        try:
            report = await link.query_execution(attempt.capability, attempt.execution_id)
        except LinkDown:
            return False
        except CommandRefused as refused:
            # A module without QueryExecution: fall back to following its skill state.
            log.info("%s cannot be asked about executions (%s)", attempt.module_id, refused)
            report = None
        self._to_ask.discard(attempt.execution_id)
        if report is None:
            return False
        self.factory.events.emit(
            "operation.recovered",
            attempt.operation_id,
            f"{attempt.execution_id} on {attempt.module_id}: module says {report.outcome}",
        )
        return await self._settle_by_report(link, attempt, report)

    async def _settle_by_report(
        self, link: ModuleLink, attempt: Attempt, report: ExecutionReport
    ) -> bool:
        view = link.skills.get(attempt.capability)
        holds_it = view is not None and view.execution_id == attempt.execution_id
        if report.outcome == "running":
            if attempt.state is AttemptState.STARTING:
                self._put(dataclasses.replace(attempt, state=AttemptState.RUNNING))
                await self._save(self.attempts[attempt.execution_id])
            return False
        if report.outcome == "complete":
            await self._finish(attempt, AttemptState.COMPLETE, results=report.results)
            if holds_it and view.state == "Complete":
                await self._tidy(link, attempt.capability, "Complete")
            return True
        if report.outcome in ("stopped", "aborted"):
            await self._finish(
                attempt, AttemptState.FAILED, error=f"skill {report.outcome} during a restart"
            )
            if holds_it and view.state in _FINISHED:
                await self._tidy(link, attempt.capability, view.state)
            return True
        if attempt.state is AttemptState.STARTING:
            # Recorded, but Start never reached the module: send it now, same id.
            return await self._send_start(link, attempt)
        await self._finish(
            attempt, AttemptState.FAILED, error="the module does not know this execution"
        )
        return True

    async def _abort_cancelled(self, attempt: Attempt) -> bool:
        """The order was cancelled: stop its work on the module and close the attempt."""
        link = self._link(attempt.module_id)
        if link is not None:
            view = link.skills.get(attempt.capability)
            if view is not None and view.execution_id == attempt.execution_id:
                # Finished or unreachable: tidied up later either way.
                with contextlib.suppress(CommandRefused, LinkDown):
                    await link.command(attempt.capability, "Abort")
        await self._finish(attempt, AttemptState.FAILED, error="order cancelled")
        return True

    async def _tidy(self, link: ModuleLink, capability: str, state: str) -> None:
        """Bring a finished skill back to Idle for its next job."""
        sequence = {"Complete": ["Reset"], "Stopped": ["Reset"], "Aborted": ["Clear", "Reset"]}
        for method in sequence.get(state, []):
            try:
                await link.command(capability, method)
            except (CommandRefused, LinkDown) as error:
                log.info("%s %s: %s refused (%s)", link.module_id, capability, method, error)
                return

    async def _dispatch(self) -> bool:
        factory = self.factory
        plan = factory.plans.plan
        progress = progress_of(self.attempts.values())
        planned = []
        for assignment in plan.assignments:
            spec = self._spec(assignment.order_id, assignment.operation_id)
            if spec is not None:
                planned.append(PlannedOperation(spec, assignment.module_id, assignment.start))
        ready = self._ready_modules()
        docks = {e.module_id: e.description.dock for e in factory.registry.entries()}
        transport = factory.layout.transport_seconds if factory.layout else (lambda _a, _b: 0)
        decisions = next_dispatches(planned, progress, ready, docks, transport, factory.clock.now())
        changed = False
        for decision in decisions:
            changed |= await self._start(decision.spec, decision.module_id)
        return changed

    def _ready_modules(self) -> set[str]:
        busy = {a.module_id for a in self.attempts.values() if a.state.is_active}
        ready = set()
        for entry in self.factory.registry.entries():
            link = self._link(entry.module_id)
            if (
                entry.liveness is Liveness.ALIVE
                and not entry.draining
                and entry.module_id not in busy
                and link is not None
                and all(view.state == "Idle" for view in link.skills.values())
            ):
                ready.add(entry.module_id)
        return ready

    def _release_drained(self) -> None:
        busy = {a.module_id for a in self.attempts.values() if a.state.is_active}
        for entry in self.factory.registry.entries():
            if (
                entry.draining
                and not entry.released
                and entry.liveness.occupies_dock
                and entry.module_id not in busy
            ):
                self.factory.release_module(entry.module_id)

    async def _tidy_idle_modules(self) -> None:
        """A skill left finished with no attempt of ours on it (another client, or a
        crash between Complete and Reset) would block its module: reset it."""
        busy = {a.module_id for a in self.attempts.values() if a.state.is_active}
        for module_id in self.links:
            link = self._link(module_id)
            if link is None or module_id in busy:
                continue
            for capability, view in list(link.skills.items()):
                if view.state in _FINISHED:
                    await self._tidy(link, capability, view.state)

    async def _start(self, spec: OperationSpec, module_id: str) -> bool:
        entry = self.factory.registry.get(module_id)
        link = self._link(module_id)
        if link is None:
            return False
        attempt = Attempt(
            execution_id=f"x-{uuid.uuid4().hex[:16]}",
            operation_id=spec.operation_id,
            order_id=spec.order_id,
            module_id=module_id,
            epoch=entry.epoch,
            capability=spec.capability,
            parameters=dict(spec.parameters),
            units=spec.units,
            state=AttemptState.STARTING,
            started_at=self.factory.clock.now(),
        )
        self._configure(entry.description, spec)
        # Recorded before the module is asked: after a crash, the id is what we ask about.
        await asyncio.to_thread(self.factory.store.attempts.add, attempt)
        self._put(attempt)
        self.factory.events.emit(
            "operation.started", spec.operation_id, f"on {module_id} as {attempt.execution_id}"
        )
        await self._send_start(link, attempt)
        return True

    def _configure(self, module, spec: OperationSpec) -> None:
        """A changeover the plan counted on (a new colour, say) is ordered before the job."""
        capability = module.capability(spec.capability)
        if capability is None or not capability.time_model.changeovers:
            return
        wanted = {
            name: str(spec.parameters.get(name, ""))
            for name, _seconds in capability.time_model.changeovers
        }
        current = self._configuration.setdefault(module.module_id, {})
        if any(current.get(name) != value for name, value in wanted.items()):
            current.update(wanted)
            self.factory.send_directive(
                module.module_id,
                "configure",
                f"set up {spec.capability} for " + ", ".join(f"{k}={v}" for k, v in wanted.items()),
                wanted,
            )

    async def _send_start(self, link: ModuleLink, attempt: Attempt) -> bool:
        parameters = {**attempt.parameters, UNITS_KEY: attempt.units}
        try:
            accepted = await link.start(attempt.capability, attempt.execution_id, parameters)
        except LinkDown:
            return False  # still STARTING: sent again, same id, once the link is back
        except CommandRefused as refused:
            await self._finish(
                attempt, AttemptState.FAILED, error=f"Start refused: {refused.status}"
            )
            return True
        if not accepted:
            await self._finish(attempt, AttemptState.FAILED, error="Start not accepted")
            return True
        return False

    async def _finish(
        self, attempt: Attempt, state: AttemptState, *, results=None, error=""
    ) -> None:
        finished = dataclasses.replace(
            attempt,
            state=state,
            ended_at=self.factory.clock.now(),
            results=results or {},
            error=error,
        )
        self._put(finished)
        await self._save(finished)
        kind = "operation.completed" if state is AttemptState.COMPLETE else "operation.failed"
        self._failures_seen |= state is AttemptState.FAILED
        detail = f" ({error})" if error else ""
        self.factory.events.emit(
            kind, attempt.operation_id, f"on {attempt.module_id} as {attempt.execution_id}{detail}"
        )

    async def _save(self, attempt: Attempt) -> None:
        await asyncio.to_thread(self.factory.store.attempts.update, attempt)

    def _put(self, attempt: Attempt) -> None:
        self.attempts[attempt.execution_id] = attempt
        if attempt.state.is_active:
            self._active_on[attempt.module_id] = attempt.execution_id
        elif self._active_on.get(attempt.module_id) == attempt.execution_id:
            del self._active_on[attempt.module_id]

    # -- telemetry --------------------------------------------------------------------

    def _telemetry_seen(self, module_id: str, name: str, value: float) -> None:
        execution_id = self._active_on.get(module_id)
        if execution_id is None:
            return  # idle readings belong to no operation
        self._samples.append(
            TelemetrySample(execution_id, module_id, name, self.factory.clock.now(), value)
        )
        if len(self._samples) > MAX_BUFFERED_SAMPLES:
            del self._samples[: len(self._samples) - MAX_BUFFERED_SAMPLES]
            log.warning("telemetry arrives faster than it is stored; oldest samples dropped")

    async def _store_telemetry(self) -> None:
        batch, self._samples = self._samples, []
        if not batch:
            return
        try:
            await asyncio.to_thread(self.factory.store.telemetry.add, batch)
        except Exception:
            self._samples[:0] = batch  # tried again on the next pass
            raise

    async def _update_orders(self) -> bool:
        progress = progress_of(self.attempts.values())
        changed = False
        for record in self.factory.open_orders():
            specs = self._specs_of(record.order_id)
            statuses = [progress.get(op_id) for op_id in specs]
            if all(p is not None and p.status is OperationStatus.DONE for p in statuses):
                await self.factory.set_order_state(record.order_id, OrderState.COMPLETED)
                changed = True
            elif record.state is not OrderState.RUNNING and any(p is not None for p in statuses):
                await self.factory.set_order_state(record.order_id, OrderState.RUNNING)
        return changed

    def order_progress(self, order_id: str) -> tuple[int, int, datetime | None]:
        """Operations in all, operations done, and when the last one ended."""
        specs = self._specs_of(order_id)
        done = [
            a
            for a in self.attempts.values()
            if a.order_id == order_id and a.state is AttemptState.COMPLETE
        ]
        ends = [a.ended_at for a in done if a.ended_at is not None]
        return len(specs), len({a.operation_id for a in done}), max(ends, default=None)

    def _specs_of(self, order_id: str) -> dict[str, OperationSpec]:
        if order_id not in self._specs:
            record = self.factory.order_record(order_id)
            self._specs[order_id] = {
                op.operation_id: op for op in expand_order(order_id, record.recipe)
            }
        return self._specs[order_id]

    def _spec(self, order_id: str, operation_id: str) -> OperationSpec | None:
        return self._specs_of(order_id).get(operation_id)
