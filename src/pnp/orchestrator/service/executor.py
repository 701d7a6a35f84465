"""The executor: runs the plan on the modules over OPC UA, and records every attempt.

A reconcile loop, level-triggered: each pass compares what should be happening (the
plan, the attempts) with what is (the registry, the skills' PackML states seen over
OPC UA) and acts on the difference. Any change pokes it; a timer runs it anyway, so a
missed notification costs at most one tick.

Per pass:
1. keep one link per live module (``ModuleLink`` over OPC UA reconnects by itself;
   ``link_factory`` may make others, such as ``MemoryLink``);
2. settle active attempts: gather the facts, ask the pure ``execution.settlement``
   what to do, do it (record, Start again, QueryExecution, Reset/Clear...);
3. start what ``next_dispatches`` says, recording the execution id before calling Start;
4. move orders to Running and Completed;
5. store the telemetry that came in, filed under the execution running on its module.

An attempt failed because its module was lost stays in doubt for ``return_grace``
seconds: if the module comes back meanwhile (same boot: it was only cut off) and says
(QueryExecution) that it finished the execution, its result counts, and a re-run made
elsewhere meanwhile is marked SUPERSEDED (aborted if it is still running), so the
operation is done once, by the first attempt. A restart within that time finds the
doubt in the stored attempt (its error and end, ``settlement.in_doubt_for``).

After a restart, attempts that were in flight are not guessed at from skill states:
the first time each one's module is reachable, the module is asked (QueryExecution)
whether the execution id is running, complete, stopped/aborted, or unknown to it, and
the attempt is settled by that answer (an unknown id that was still being started is
started again with the same id; one the module should have been running is failed
and the operation re-run).

The executor sees the rest of the orchestrator only through ``service.ports`` and the
attempt ledger (``service.ledger``); it does not know the factory.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pnp.orchestrator.clock import Clock
from pnp.orchestrator.domain.attempts import Attempt, AttemptState, OperationStatus
from pnp.orchestrator.domain.layout import Layout
from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.domain.operations import OperationSpec
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.errors import NotFound, StorageFull
from pnp.orchestrator.execution.dispatch import PlannedOperation, next_dispatches
from pnp.orchestrator.execution.link import CommandRefused, Link, LinkDown, LinkFactory
from pnp.orchestrator.execution.settlement import (
    Ask,
    Complete,
    Decision,
    Fail,
    Forget,
    KeepRerun,
    MarkRunning,
    ModuleStanding,
    Reclaim,
    SendStart,
    SettlementFacts,
    StartAnswer,
    after_start,
    by_report,
    in_doubt_for,
    is_finished,
    is_idle,
    on_return,
    packml_state,
    settle,
    tidy_after,
)
from pnp.orchestrator.registry import Liveness, ModuleEntry
from pnp.orchestrator.service.full_disk_notice import FullDiskNotice
from pnp.orchestrator.service.ledger import AttemptLedger
from pnp.orchestrator.service.ports import (
    BreakerState,
    Directives,
    EventSink,
    Floor,
    OrderBook,
    PlanSource,
    TelemetrySink,
)
from pnp.orchestrator.store.telemetry import TelemetrySample
from pnp.v1.opcua import SkillMethod

log = logging.getLogger(__name__)

TICK_SECONDS = 0.25
STOP_SECONDS = 5.0
UNITS_KEY = "_units"  # the SDK's reserved parameter: units in this execution
MAX_BUFFERED_SAMPLES = 50_000  # telemetry waiting for the disk; beyond this, oldest dropped

_STANDING = {
    Liveness.ALIVE: ModuleStanding.PLUGGED_IN,
    Liveness.SUSPECT: ModuleStanding.PLUGGED_IN,
    Liveness.LOST: ModuleStanding.LOST,
    Liveness.GONE: ModuleStanding.DEREGISTERED,
}


class Executor:
    def __init__(
        self,
        *,
        ledger: AttemptLedger,
        floor: Floor,
        breaker: BreakerState,
        events: EventSink,
        plans: PlanSource,
        orders: OrderBook,
        directives: Directives,
        telemetry: TelemetrySink,
        link_factory: LinkFactory,
        clock: Clock,
        layout: Layout | None = None,
        restart_grace: float = 0.0,
        return_grace: float = 60.0,
        on_link_lost: Callable[[str], None] = lambda _module_id: None,
        maintenance: Callable[[], Mapping[str, Sequence[tuple[datetime, datetime]]]] = dict,
    ) -> None:
        """``restart_grace``: seconds after ``start`` during which an attempt's module that
        has not registered again is waited for rather than declared lost;
        ``return_grace``: how long an attempt failed with its lost module stays in doubt
        (its module, back in that time, is asked whether it finished it);
        ``on_link_lost``: told the id of a module whose established link dropped."""
        self.ledger = ledger
        self._floor = floor
        self._links_synced_at = -1  # ``floor.changes`` when the links were last synced
        self._breaker = breaker
        self._events = events
        self._plans = plans
        self._orders = orders
        self._directives = directives
        self._telemetry = telemetry
        self._link_factory = link_factory
        self._clock = clock
        self._layout = layout
        self._restart_grace = restart_grace
        self._return_grace = return_grace
        self._on_link_lost = on_link_lost
        self._maintenance = maintenance  # per module, its maintenance windows
        # Attempts failed because their module was lost: execution id -> until when
        # (monotonic) the module is asked about it should it come back.
        self._in_doubt: dict[str, float] = {}
        for attempt in ledger:  # taken over from the store: still in doubt after a restart?
            left = in_doubt_for(
                attempt, clock.now(), return_grace, time_scale=getattr(clock, "scale", 1.0)
            )
            if left > 0:
                self._in_doubt[attempt.execution_id] = clock.monotonic() + left
                ledger.pin(attempt.execution_id)
        self.links: dict[str, tuple[Link, asyncio.Task[None]]] = {}
        # Executions a previous run left in flight: their modules are asked about them
        # (QueryExecution) before anything else is done with them.
        self._to_ask: set[str] = {a.execution_id for a in ledger.active()}
        self._samples: list[TelemetrySample] = []
        self._poked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._configuration: dict[str, dict[str, str]] = {}  # module id -> parameter -> value
        self._failures_seen = False  # an attempt failed this pass: the replan is a repair
        self._started = 0.0
        self._halted = False
        self._full_disk = FullDiskNotice("the executor", "its pass is tried again each tick")

    def start(self) -> None:
        self._started = self._clock.monotonic()
        self._task = asyncio.create_task(self._run(), name="executor")

    def _in_grace_period(self) -> bool:
        """No module is declared lost for its in-flight work until every module has had
        time to re-register after an orchestrator (re)start."""
        return self._clock.monotonic() - self._started < self._restart_grace

    def halt(self) -> None:
        """A graceful stop begins: from now on no Start is sent and nothing is settled.
        Synchronous, so that the signal's callback calls it before any other task runs;
        what is in flight stays recorded as it is, for the next start to ask about."""
        self._halted = True
        if self._task is not None:
            self._task.cancel()

    def in_flight(self) -> list[Attempt]:
        """The attempts starting or running: what a stop leaves to the next start."""
        return sorted(self.ledger.active(), key=lambda a: (a.order_id, a.operation_id))

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
                self._full_disk.cleared()
            except StorageFull as full:  # the operator's to fix, not a bug: one line
                self._full_disk.full(full)
            except Exception:  # a bug in one pass must not stop production
                log.exception("executor pass failed; retrying on the next tick")

    # -- one pass ---------------------------------------------------------------------

    async def reconcile(self) -> None:
        self._sync_links()
        changed = await self._ask_returned_modules()
        changed |= await self._settle_attempts()
        await self._tidy_idle_modules()
        self._release_drained()
        changed |= await self._dispatch()
        changed |= await self._update_orders()
        await self._store_telemetry()
        if changed:
            urgent, self._failures_seen = self._failures_seen, False
            await self._plans.inputs_changed(urgent=urgent)

    def _sync_links(self) -> None:
        """One link per module plugged in with an OPC UA endpoint. Only the entries
        changed since the last sync are looked at (``Floor.changed_since``): during a
        herd of thousands of registrations the floor changes on every pass."""
        if self._floor.changes == self._links_synced_at:
            return  # the floor is as it was (lease renewals do not count)
        moved = self._floor.changed_since(self._links_synced_at)
        self._links_synced_at = self._floor.changes
        for entry in moved:
            module_id = entry.module_id
            wanted = (
                entry.description.opcua_endpoint
                if entry.liveness.occupies_dock and entry.description.opcua_endpoint
                else None
            )
            held = self.links.get(module_id)
            if held is not None and held[0].endpoint != wanted:
                held[1].cancel()
                del self.links[module_id]
            if wanted is not None and module_id not in self.links:
                link = self._link_factory(module_id, wanted, self.poke)
                link.on_telemetry = self._telemetry_seen
                link.on_lost = self._on_link_lost
                task = asyncio.create_task(link.run(), name=f"link-{module_id}")
                self.links[module_id] = (link, task)

    def _link(self, module_id: str) -> Link | None:
        entry = self.links.get(module_id)
        if entry is None or not entry[0].connected.is_set():
            return None
        return entry[0]

    # -- settling attempts ------------------------------------------------------------

    async def _settle_attempts(self) -> bool:
        changed = False
        for attempt in self.ledger.active():
            changed |= await self._settle(attempt)
        return changed

    def _facts(self, attempt: Attempt) -> SettlementFacts:
        try:
            entry: ModuleEntry | None = self._floor.get(attempt.module_id)
        except NotFound:
            entry = None
        link = self._link(attempt.module_id)
        return SettlementFacts(
            module=ModuleStanding.NOT_REGISTERED if entry is None else _STANDING[entry.liveness],
            module_epoch=None if entry is None else entry.epoch,
            order_open=self._orders.is_open(attempt.order_id),
            breaker_tripped=self._breaker.tripped,
            in_grace_period=self._in_grace_period(),
            connected=link is not None,
            skill=None if link is None else link.skills.get(attempt.capability),
            to_ask=attempt.execution_id in self._to_ask,
        )

    async def _settle(self, attempt: Attempt) -> bool:
        """Gathers the facts, asks ``settle`` what to do, and does it."""
        facts = self._facts(attempt)
        decision = settle(attempt, facts)
        if isinstance(decision, Ask):
            answered = await self._ask(attempt)
            if answered is None:
                return False
            decision = answered
        return await self._carry_out(attempt, decision)

    async def _ask(self, attempt: Attempt) -> Decision | None:
        """Asks the module about an execution left in flight by a previous run and
        decides by its answer; None to wait (unreachable, or a module that cannot be
        asked: its skill state is followed from now on)."""
        link = self._link(attempt.module_id)
        if link is None:
            return None
        try:
            report = await link.query_execution(attempt.capability, attempt.execution_id)
        except LinkDown:
            return None
        except CommandRefused as refused:
            log.info("%s cannot be asked about executions (%s)", attempt.module_id, refused)
            self._to_ask.discard(attempt.execution_id)
            return None
        self._to_ask.discard(attempt.execution_id)
        self._events.emit(
            "operation.recovered",
            attempt.operation_id,
            f"{attempt.execution_id} on {attempt.module_id}: module says {report.outcome}",
        )
        # By the skill as it is now, after the call.
        return by_report(attempt, report, link.skills.get(attempt.capability))

    async def _carry_out(self, attempt: Attempt, decision: Decision) -> bool:
        """Performs a settlement decision; True when the attempt ended."""
        link = self._link(attempt.module_id)
        if isinstance(decision, MarkRunning):
            await self.ledger.update(dataclasses.replace(attempt, state=AttemptState.RUNNING))
            return False
        if isinstance(decision, SendStart):
            return link is not None and await self._send_start(link, attempt)
        if isinstance(decision, Complete):
            results = decision.results
            if results is None:
                if link is None:
                    return False
                try:
                    results = await link.result(attempt.capability)
                except LinkDown:
                    return False
            await self._finish(attempt, AttemptState.COMPLETE, results=results)
            await self._tidy(link, attempt.capability, decision.tidy)
            return True
        if isinstance(decision, Fail):
            if decision.abort_first and link is not None:
                # Finished or unreachable: tidied up later either way.
                with contextlib.suppress(CommandRefused, LinkDown):
                    await link.command(attempt.capability, SkillMethod.ABORT)
            await self._finish(attempt, AttemptState.FAILED, error=decision.error)
            await self._tidy(link, attempt.capability, decision.tidy)
            if decision.in_doubt:
                self._in_doubt[attempt.execution_id] = self._clock.monotonic() + self._return_grace
                self.ledger.pin(attempt.execution_id)  # kept at hand should its order close
            return True
        return False  # Wait

    # -- lost modules that come back --------------------------------------------------

    async def _ask_returned_modules(self) -> bool:
        """Asks each module back from a loss about the attempts failed in doubt with it;
        True when one is reclaimed."""
        changed = False
        now = self._clock.monotonic()
        for execution_id, until in list(self._in_doubt.items()):
            attempt = self.ledger.get(execution_id)
            if now > until or attempt is None or attempt.state is not AttemptState.FAILED:
                self._no_more_doubt(execution_id)
                continue
            link = self._link(attempt.module_id)
            if link is None:
                continue  # not back (yet)
            try:
                report = await link.query_execution(attempt.capability, execution_id)
            except LinkDown:
                continue
            except CommandRefused:  # cannot be asked: the re-run stands
                self._no_more_doubt(execution_id)
                continue
            siblings = await self.ledger.of_operation(attempt.operation_id, attempt.order_id)
            rerun_completed = any(
                other.execution_id != execution_id and other.state is AttemptState.COMPLETE
                for other in siblings
            )
            decision = on_return(
                attempt, report, link.skills.get(attempt.capability), rerun_completed
            )
            if isinstance(decision, Forget):
                self._no_more_doubt(execution_id)
            elif isinstance(decision, KeepRerun):
                await self._keep_rerun(attempt, decision, link)
                self._no_more_doubt(execution_id)
            elif isinstance(decision, Reclaim):
                await self._reclaim(attempt, decision, link)
                self._no_more_doubt(execution_id)
                changed = True
        return changed

    def _no_more_doubt(self, execution_id: str) -> None:
        del self._in_doubt[execution_id]
        self.ledger.unpin(execution_id)

    async def _keep_rerun(self, attempt: Attempt, decision: KeepRerun, link: Link) -> None:
        """The module finished too, after a re-run elsewhere had completed: the re-run
        counts (later steps may already use its part); this attempt is superseded."""
        await self.ledger.update(
            dataclasses.replace(
                attempt, state=AttemptState.SUPERSEDED, error=f"superseded: {decision.why}"
            )
        )
        self._events.emit(
            "operation.superseded",
            attempt.operation_id,
            f"{attempt.execution_id} on {attempt.module_id}: the module came back and "
            f"finished it too, but {decision.why}",
        )
        await self._tidy(link, attempt.capability, decision.tidy)

    async def _reclaim(self, attempt: Attempt, decision: Reclaim, link: Link) -> None:
        """The first attempt counts after all; any re-run of its operation is superseded."""
        reclaimed = dataclasses.replace(
            attempt,
            state=AttemptState.COMPLETE,
            results=decision.results,
            error="",
            ended_at=self._clock.now(),
        )
        await self.ledger.update(reclaimed)
        self._events.emit(
            "operation.reclaimed",
            attempt.operation_id,
            f"{attempt.execution_id} on {attempt.module_id}: the module came back and "
            "finished it; it counts",
        )
        await self._tidy(link, attempt.capability, decision.tidy)
        for other in await self.ledger.of_operation(attempt.operation_id, attempt.order_id):
            if other.execution_id == attempt.execution_id or other.state not in (
                AttemptState.STARTING,
                AttemptState.RUNNING,
                AttemptState.COMPLETE,
            ):
                continue
            if other.state.is_active:
                rerun_link = self._link(other.module_id)
                if rerun_link is not None:
                    with contextlib.suppress(CommandRefused, LinkDown):
                        await rerun_link.command(other.capability, SkillMethod.ABORT)
            await self.ledger.update(
                dataclasses.replace(
                    other,
                    state=AttemptState.SUPERSEDED,
                    ended_at=other.ended_at or self._clock.now(),
                    error=f"superseded by {attempt.execution_id} on {attempt.module_id}",
                )
            )
            self._events.emit(
                "operation.superseded",
                other.operation_id,
                f"{other.execution_id} on {other.module_id}: superseded by {attempt.execution_id}",
            )

    async def _tidy(
        self, link: Link | None, capability: str, commands: tuple[SkillMethod, ...]
    ) -> None:
        """Bring a finished skill back to Idle for its next job."""
        for method in commands:
            if link is None:
                return
            try:
                await link.command(capability, method)
            except (CommandRefused, LinkDown) as error:
                log.info("%s %s: %s refused (%s)", link.module_id, capability, method, error)
                return

    async def _send_start(self, link: Link, attempt: Attempt) -> bool:
        if self._halted:
            return False  # stopping: the next start asks the module about it instead
        parameters = {**attempt.parameters, UNITS_KEY: attempt.units}
        try:
            accepted = await link.start(attempt.capability, attempt.execution_id, parameters)
            answer = StartAnswer(accepted=accepted)
        except LinkDown:
            answer = StartAnswer(unreachable=True)
        except CommandRefused as refused:
            answer = StartAnswer(refused=refused.status)
        return await self._carry_out(attempt, after_start(answer))

    async def _finish(
        self,
        attempt: Attempt,
        state: AttemptState,
        *,
        results: dict[str, Any] | None = None,
        error: str = "",
    ) -> None:
        finished = dataclasses.replace(
            attempt,
            state=state,
            ended_at=self._clock.now(),
            results=results or {},
            error=error,
        )
        await self.ledger.update(finished)
        kind = "operation.completed" if state is AttemptState.COMPLETE else "operation.failed"
        self._failures_seen |= state is AttemptState.FAILED
        detail = f" ({error})" if error else ""
        self._events.emit(
            kind, attempt.operation_id, f"on {attempt.module_id} as {attempt.execution_id}{detail}"
        )

    # -- dispatching ------------------------------------------------------------------

    async def _dispatch(self) -> bool:
        plan = self._plans.plan
        progress = self.ledger.progress()
        planned = []
        for assignment in plan.assignments:
            if not self._orders.is_open(assignment.order_id):
                continue  # closed since the plan was made: nothing more to start
            spec = self._orders.operations_of(assignment.order_id).get(assignment.operation_id)
            if spec is not None:
                planned.append(
                    PlannedOperation(spec, assignment.module_id, assignment.start, plan.origin)
                )
        if not planned:
            return False  # nothing to start: no need to look over the whole floor
        ready = self._ready_modules()
        docks = {e.module_id: e.description.dock for e in self._floor.entries()}
        layout = self._layout
        transport: Callable[[str, str], float] = (
            layout.transport_seconds if layout is not None else (lambda _a, _b: 0)
        )
        decisions = next_dispatches(
            planned, progress, ready, docks, transport, self._clock.now(), self._maintenance()
        )
        changed = False
        for decision in decisions:
            changed |= await self._start(decision.spec, decision.module_id)
        return changed

    def _ready_modules(self) -> set[str]:
        busy = self.ledger.busy_modules()
        ready = set()
        for entry in self._floor.entries():
            link = self._link(entry.module_id)
            if (
                entry.liveness is Liveness.ALIVE
                and not entry.draining
                and entry.module_id not in busy
                and link is not None
                and all(is_idle(view) for view in link.skills.values())
            ):
                ready.add(entry.module_id)
        return ready

    def _release_drained(self) -> None:
        awaiting = self._floor.awaiting_release()  # drained, plugged in, not released
        if not awaiting:
            return
        busy = self.ledger.busy_modules()
        for entry in awaiting:
            if entry.module_id not in busy:
                self._directives.release_module(entry.module_id)

    async def _tidy_idle_modules(self) -> None:
        """A skill left finished with no attempt of ours on it (another client, or a
        crash between Complete and Reset) would block its module: reset it."""
        busy = self.ledger.busy_modules()
        for module_id in self.links:
            link = self._link(module_id)
            if link is None or module_id in busy:
                continue
            for capability, view in list(link.skills.items()):
                if is_finished(view):
                    await self._tidy(link, capability, tidy_after(packml_state(view.state)))

    async def _start(self, spec: OperationSpec, module_id: str) -> bool:
        entry = self._floor.get(module_id)
        link = self._link(module_id)
        if link is None or self._halted:
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
            started_at=self._clock.now(),
        )
        self._configure(entry.description, spec)
        # Recorded before the module is asked: after a crash, the id is what we ask about.
        await self.ledger.record(attempt)
        self._events.emit(
            "operation.started", spec.operation_id, f"on {module_id} as {attempt.execution_id}"
        )
        await self._send_start(link, attempt)
        return True

    def _configure(self, module: ModuleDescription, spec: OperationSpec) -> None:
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
            self._directives.send_directive(
                module.module_id,
                "configure",
                f"set up {spec.capability} for " + ", ".join(f"{k}={v}" for k, v in wanted.items()),
                wanted,
            )

    # -- telemetry --------------------------------------------------------------------

    def _telemetry_seen(self, module_id: str, name: str, value: float) -> None:
        execution_id = self.ledger.active_on(module_id)
        if execution_id is None:
            return  # idle readings belong to no operation
        self._samples.append(
            TelemetrySample(execution_id, module_id, name, self._clock.now(), value)
        )
        if len(self._samples) > MAX_BUFFERED_SAMPLES:
            del self._samples[: len(self._samples) - MAX_BUFFERED_SAMPLES]
            log.warning("telemetry arrives faster than it is stored; oldest samples dropped")

    async def _store_telemetry(self) -> None:
        batch, self._samples = self._samples, []
        if not batch:
            return
        try:
            await asyncio.to_thread(self._telemetry.add, batch)
        except Exception:
            self._samples[:0] = batch  # tried again on the next pass
            raise

    # -- orders -----------------------------------------------------------------------

    async def _update_orders(self) -> bool:
        progress = self.ledger.progress()
        changed = False
        for record in self._orders.open_orders():
            specs = self._orders.operations_of(record.order_id)
            statuses = [progress.get(op_id) for op_id in specs]
            if all(p is not None and p.status is OperationStatus.DONE for p in statuses):
                await self._orders.set_order_state(record.order_id, OrderState.COMPLETED)
                changed = True
            elif record.state is not OrderState.RUNNING and any(p is not None for p in statuses):
                await self._orders.set_order_state(record.order_id, OrderState.RUNNING)
        return changed
