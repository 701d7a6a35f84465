"""One CP-SAT run on a built model: hinted, time-limited, feeding the incumbent.

Every solution CP-SAT finds is read back as a schedule and offered to the
``Incumbent``; every bound improvement raises its bound. ``solve`` may call this
more than once (a first run next to the local search, a second from its result).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from ortools.sat.python import cp_model

from pnp.scheduler.incumbent import Incumbent
from pnp.scheduler.model.builder import BuiltModel
from pnp.scheduler.model.hints import add_schedule_hint
from pnp.scheduler.model.variables import Variables
from pnp.scheduler.portfolio import polish_by_neighbourhoods_only
from pnp.scheduler.problem import Problem
from pnp.scheduler.result import ScheduledOperation


class CpSatRun:
    """A CP-SAT solve that another thread may stop early."""

    def __init__(self, problem: Problem, built: BuiltModel, incumbent: Incumbent) -> None:
        self._problem = problem
        self._built = built
        self._incumbent = incumbent
        self._solver = cp_model.CpSolver()
        self._stopped = threading.Event()
        self.status: cp_model.CpSolverStatus | None = None
        self.solutions = 0  # plans CP-SAT reported (the hint counts, once presolve is done)

    def run(
        self,
        *,
        deadline: float,
        workers: int,
        seed: int,
        hint: Sequence[ScheduledOperation] | None,
        lower_bound: int | None,
    ) -> cp_model.CpSolverStatus:
        """Solve until ``deadline`` (``time.monotonic()``); return CP-SAT's status code.

        Solutions and bounds go to the incumbent. The time left is measured after the
        hint and bound are added (those take a moment on large models), less a margin
        for CP-SAT's own overshoot and for the caller to assemble its result.
        """
        model = self._built.model.clone()
        if hint is not None:
            add_schedule_hint(model, self._problem, self._built.variables, hint)
        if lower_bound is not None:
            # A bound proven by an earlier run: the LP and the search start from it.
            model.add(self._built.objective >= lower_bound)
        solver = self._solver
        margin = 0.02 + 2e-5 * len(self._problem.operations)
        solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic() - margin)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        # Large makespan problems from a plan: neighbourhood workers only (``portfolio``).
        solver.parameters.use_lns_only = hint is not None and polish_by_neighbourhoods_only(
            self._problem, workers
        )
        # CP-SAT's own Ctrl-C handler is put back to SIG_DFL when a solve ends, leaving
        # the orchestrator to be killed by the next Ctrl-C instead of stopping gracefully
        # (issue 14); stopping a solve is the caller's business (``stop``).
        solver.parameters.catch_sigint_signal = False
        solver.best_bound_callback = self._incumbent.raise_bound
        callback = _Reader(self._problem, self._built, self._incumbent, self)
        if self._stopped.is_set():
            self.status = cp_model.UNKNOWN
            return self.status
        self.status = solver.solve(model, callback)
        if self.status == cp_model.MODEL_INVALID:
            # Validation should make this impossible: it is a bug in the model builder.
            raise RuntimeError(f"CP-SAT rejected the model: {model.validate()}")
        if self.status != cp_model.INFEASIBLE:
            # Also when stopped without a solution: the bound proven so far still holds.
            self._incumbent.raise_bound(solver.best_objective_bound)
        return self.status

    def stop(self) -> None:
        self._stopped.set()
        self._solver.stop_search()


class _Reader(cp_model.CpSolverSolutionCallback):
    """Reads each solution CP-SAT finds back into a schedule for the incumbent."""

    def __init__(
        self, problem: Problem, built: BuiltModel, incumbent: Incumbent, run: CpSatRun
    ) -> None:
        super().__init__()
        self._problem = problem
        self._variables = built.variables
        self._incumbent = incumbent
        self._run = run

    def on_solution_callback(self) -> None:
        self._run.solutions += 1
        self._incumbent.offer(read_schedule(self, self._problem, self._variables), "cp-sat")


def read_schedule(
    values: cp_model.CpSolverSolutionCallback, problem: Problem, variables: Variables
) -> tuple[ScheduledOperation, ...]:
    schedule = []
    for i, op in enumerate(problem.operations):
        chosen = next(
            mode
            for mode, mv in zip(op.modes, variables.modes[i], strict=True)
            if values.boolean_value(mv.presence)
        )
        start = int(values.value(variables.starts[i]))
        schedule.append(ScheduledOperation(i, chosen.machine, start, start + chosen.duration))
    return tuple(schedule)
