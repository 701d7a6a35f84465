"""Keeps the plan current: replans whenever its inputs change, one solve at a time.

Level-triggered: a change only bumps a generation number; the loop plans for whatever
the state is when it gets to run, so a burst of changes costs one solve, and a missed
notification is caught by the next. Solves run with a time limit, never on the event
loop: ``solve`` is where (the factory hands it ``SolverProcesses.solve``, a process of
their own, so that planning does not take the loop's GIL; the default is a thread).
An ordinary solve overtaken by a repair is cancelled (in a process: killed). A repair
is solved in a short time limit, so once it is in force an ordinary solve follows from
it (the repaired plan as previous plan) to keep improving it in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pnp.orchestrator.planning import Plan, PlanningInput, plan_factory

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.05


class PlanKeeper:
    def __init__(
        self,
        snapshot: Callable[[int, bool], PlanningInput],
        initial: Plan,
        on_plan: Callable[[Plan], None] = lambda _plan: None,
        solve: Callable[[PlanningInput, bool], Awaitable[Plan]] | None = None,
    ) -> None:
        """``snapshot(version, urgent)`` reads the current orders and modules for a new
        plan (``urgent``: a repair after a loss, to be solved quickly); ``on_plan`` hears of
        every new plan."""
        self._snapshot = snapshot
        self._solve = solve or _solve_in_thread
        self._on_plan = on_plan
        self._plan = initial
        self._wanted = 0  # generation of the inputs
        self._planned = 0  # generation the current plan was made from
        self._changed = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._solving: _Solve | None = None
        self._frozen = False
        self._urgent = False
        self._urgent_arrived = asyncio.Event()
        self._improve_repair = False  # a repair is in force: improve it with a full solve

    @property
    def plan(self) -> Plan:
        return self._plan

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        """Stop replanning (the circuit breaker tripped); the current plan stays."""
        self._frozen = True
        self._task_wakeup()  # waiters for a current plan get the frozen one

    def unfreeze(self) -> None:
        self._frozen = False
        self._task_wakeup()

    def _task_wakeup(self) -> None:
        asyncio.get_running_loop().create_task(self.inputs_changed())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="plan-keeper")
        self._task.add_done_callback(_report_death)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._solving is not None:
            self._solving.task.cancel()
            await asyncio.gather(self._solving.task, return_exceptions=True)

    async def inputs_changed(self, urgent: bool = False) -> None:
        """Something planning depends on changed; ``urgent`` when work was interrupted."""
        self._urgent |= urgent
        if urgent:
            self._urgent_arrived.set()
        async with self._changed:
            self._wanted += 1
            self._changed.notify_all()

    async def current(self) -> Plan:
        """The plan made from the inputs as they are now (waits for a replan if needed)."""
        async with self._changed:
            wanted = self._wanted
            await self._changed.wait_for(lambda: self._frozen or self._planned >= wanted)
            return self._plan

    async def _run(self) -> None:
        while True:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: (
                        (self._wanted > self._planned or self._improve_repair) and not self._frozen
                    )
                )
            # A burst of changes (a hundred modules registering after a restart) costs
            # one solve, not a hundred; a repair after a loss does not wait.
            if not self._urgent:
                await asyncio.sleep(DEBOUNCE_SECONDS)
            if self._frozen:  # the breaker tripped while we waited: no new plan
                continue
            generation, solving = self._start_solve()
            while True:
                # A repair must not queue behind an ordinary solve that may take its full
                # time limit: start it at once; the ordinary result is simply not used.
                urgent_came = asyncio.ensure_future(self._urgent_arrived.wait())
                done, _ = await asyncio.wait(
                    {solving.task, urgent_came}, return_when=asyncio.FIRST_COMPLETED
                )
                urgent_came.cancel()
                if solving.task in done:
                    break
                self._urgent_arrived.clear()
                if not solving.urgent:
                    log.info("repair needed: not waiting for the ordinary solve under way")
                    solving.task.cancel()
                    generation, solving = self._start_solve()
            try:
                plan = solving.task.result()
            except Exception:  # a planning bug must not stop the factory; keep the old plan
                log.exception("planning failed; keeping plan version %d", self._plan.version)
                plan = self._plan
            async with self._changed:
                # Only a repair that produced a plan is worth improving; waiters for the
                # current plan do not wait for the improvement (the generation is met).
                self._improve_repair = solving.urgent and plan is not self._plan
                self._plan = plan
                self._planned = max(self._planned, generation)
                self._changed.notify_all()
            self._on_plan(plan)

    def _start_solve(self) -> tuple[int, _Solve]:
        generation = self._wanted
        urgent, self._urgent = self._urgent, False
        self._improve_repair = False
        self._urgent_arrived.clear()
        try:
            inputs = self._snapshot(self._plan.version + 1, urgent)
            task = asyncio.ensure_future(self._solve(inputs, urgent))
        except Exception as error:  # reported where the result is read
            task = asyncio.get_running_loop().create_future()
            task.set_exception(error)
        self._solving = _Solve(task, urgent)
        return generation, self._solving


async def _solve_in_thread(inputs: PlanningInput, _urgent: bool = False) -> Plan:
    return await asyncio.to_thread(plan_factory, inputs)


@dataclass(frozen=True)
class _Solve:
    task: asyncio.Future
    urgent: bool


def _report_death(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical("the plan keeper stopped: %r; plans are no longer updated", task.exception())
