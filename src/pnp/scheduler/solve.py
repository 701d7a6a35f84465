"""Plan a problem within a wall-clock budget: heuristics first, CP-SAT throughout.

1. **Dispatch** (``heuristics.dispatch``): a complete greedy schedule in one pass.
   It is the first plan, the fallback, and CP-SAT's starting hint.
2. **Improve**: for a share of the budget, chosen per instance by ``portfolio``
   (short on small instances, long on large ones, ended early when the search
   stagnates), the calling thread runs a heuristic search while CP-SAT works on
   ``workers - 1`` threads, proving the bound and
   finding its own plans. Makespan problems on unit machines get a tabu search on
   critical operations (``heuristics.local_search``); everything else gets
   squeaky-wheel dispatch (``heuristics.squeaky_wheel``). On two workers CP-SAT
   alone spends one thread on its LP and shares the other among a dozen
   neighbourhood strategies, and on large factories its presolve alone takes many
   seconds; the heuristics improve much faster than that. The measurements in
   ``bench/README.md`` are why this phase exists.
3. **Polish**: CP-SAT on all workers from the best plan so far (as a complete
   hint) and with the bound proven so far, until the budget is spent.

Factory problems from ``LNS_OPERATIONS`` operations on get no model of everything
(its presolve alone outlasted a minute at 1800 operations): squeaky wheel runs
alone, feeding the busiest module kind first (``heuristics.bottleneck``), until it
stagnates, then the polish is ``lns``, CP-SAT on one slice of the plan at a time,
the rest fixed.

The time limit covers everything: heuristics, model building and the solves.
Malformed problems raise ``ProblemError`` (from ``Problem.validate``); a well-formed
problem never raises, whatever the solver finds: the status says what happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from ortools.sat.python import cp_model

from pnp.scheduler import lns, metrics
from pnp.scheduler.cp_sat import CpSatRun
from pnp.scheduler.heuristics import bottleneck, local_search, squeaky_wheel
from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.incumbent import Incumbent, Progress
from pnp.scheduler.lower_bound import makespan_lower_bound
from pnp.scheduler.model.builder import BuiltModel, build_model
from pnp.scheduler.model.horizon import earliest, horizon
from pnp.scheduler.model.objective import ObjectiveWeights, objective_weights
from pnp.scheduler.portfolio import Heuristic, Strategy, choose_strategy
from pnp.scheduler.problem import Problem
from pnp.scheduler.result import Result, SolveStatus


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = 10.0  # seconds of wall time for the whole call
    workers: int = 2  # threads searching at once (CP-SAT workers, local search included)
    seed: int = 0  # random seed, so the same input gives the same search
    # Called on every better plan or bound, also from CP-SAT's threads: keep it quick.
    on_progress: Callable[[Progress], None] | None = None
    # Share of the time limit for the improve phase; None: the portfolio chooses it
    # from the instance (``portfolio``), between a floor and a ceiling.
    improve_share: float | None = None
    use_improve_phase: bool = True  # off: CP-SAT right after dispatch (for measuring)
    use_dispatch_hint: bool = True  # off: CP-SAT starts without a hint (for measuring)

    def __post_init__(self) -> None:
        if self.time_limit <= 0:
            raise ValueError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.improve_share is not None and not 0 <= self.improve_share <= 1:
            raise ValueError(f"improve_share must be in [0, 1], got {self.improve_share}")


def solve(problem: Problem, options: SolveOptions = SolveOptions()) -> Result:
    """Schedule ``problem`` by its ranked objectives (default: weighted tardiness,
    makespan, plan stability)."""
    started = time.monotonic()
    deadline = started + options.time_limit
    problem.validate()
    if not problem.operations:
        return Result(SolveStatus.OPTIMAL, (), 0.0, 0.0, 0, 0, 0.0, first_solution_seconds=0.0)

    weights = objective_weights(problem, earliest(problem), horizon(problem))
    incumbent = Incumbent(problem, weights, started, options.on_progress)
    greedy = dispatch(problem)
    if greedy is not None:
        incumbent.offer(greedy, "dispatch")
    # After the first plan, not before it: the bound's LP takes a moment on large factories.
    least_makespan = makespan_lower_bound(problem)
    incumbent.raise_bound(weights.makespan * least_makespan)
    strategy = choose_strategy(
        problem,
        improve_share=options.improve_share,
        use_improve_phase=options.use_improve_phase,
    )
    neighbourhoods = _uses_neighbourhood_search(problem, strategy)
    built = None
    if strategy.use_cp_sat and not neighbourhoods:
        built = build_model(problem, least_makespan)

    statuses: list[cp_model.CpSolverStatus] = []
    if strategy.heuristic is not Heuristic.NONE and greedy is not None:
        statuses.append(
            _improve(problem, built, incumbent, options, strategy, started, neighbourhoods)
        )
    if neighbourhoods and incumbent.best is not None and not incumbent.proven_optimal:
        lns.improve(
            problem,
            weights,
            incumbent,
            seed=options.seed,
            deadline=deadline - _margin(problem),
            workers=options.workers,
        )
    # Preparing a run (cloning the model, adding the hint) takes a moment on large models;
    # with less time left than that, CP-SAT could not even start.
    least = max(0.05, 2e-4 * len(problem.operations))
    if built is not None and not incumbent.proven_optimal and time.monotonic() + least < deadline:
        best = incumbent.best
        hint = best.schedule if best is not None and options.use_dispatch_hint else None
        statuses.append(
            CpSatRun(problem, built, incumbent).run(
                deadline=deadline,
                workers=options.workers,
                seed=options.seed,
                hint=hint,
                lower_bound=incumbent.bound,
            )
        )
    return _result(problem, weights, incumbent, statuses, time.monotonic() - started)


# From this many operations on, a factory problem (not a pure makespan one) gets
# CP-SAT through the large-neighbourhood search (``lns``) instead of one model of
# everything: on bench/scale.py's 1800-operation factory that model's presolve did
# not end within a minute on two workers, so CP-SAT contributed no plan; up to here
# (bench/replan.py's 1000 operations) the whole model stays.
LNS_OPERATIONS = 1500


# Before the neighbourhood search, squeaky wheel gets at most this share of the budget,
# and hands over after this share without a better plan (on the 10,002-operation
# factory no pass beats the first). A tenth was too short at 1800 operations: under
# load a pass takes up to a second, and two seeds of five handed over with their
# first plan's lateness, which the neighbourhood search reduces far more slowly.
_SQUEAKY_SHARE_BEFORE_LNS = 0.5
_SQUEAKY_PATIENCE_BEFORE_LNS = 0.25
# Once no job is late, squeaky wheel's head starts fade and its plans get shorter for a
# few seconds more (2-4 % on bench/scale.py's factory, seeds 0-2); it hands over once
# this share of the budget passes without a better plan.
_SQUEAKY_PATIENCE_ON_TIME = 0.08


_SQUEAKY_WHEEL = "squeaky wheel"  # who found a plan, as reported


def _uses_neighbourhood_search(problem: Problem, strategy: Strategy) -> bool:
    return (
        strategy.heuristic is Heuristic.SQUEAKY_WHEEL and len(problem.operations) >= LNS_OPERATIONS
    )


def _margin(problem: Problem) -> float:
    """Seconds kept back from the deadline for CP-SAT's overshoot and the result."""
    return 0.02 + 2e-5 * len(problem.operations)


def _improve(
    problem: Problem,
    built: BuiltModel | None,
    incumbent: Incumbent,
    options: SolveOptions,
    strategy: Strategy,
    started: float,
    neighbourhoods: bool,
) -> cp_model.CpSolverStatus:
    """A heuristic in this thread, CP-SAT on the other workers.

    The heuristic hands over between the strategy's floor and ceiling, as soon as no
    better plan has come for its patience, but only once CP-SAT has produced a plan of
    its own (at least the hint, which it reports when its presolve is done): on large
    models CP-SAT may not get that far, and then the heuristic keeps the CPU to the end.

    On large factories (``neighbourhoods``) squeaky wheel runs alone, every pass
    feeding the busiest module kind first (``bottleneck``), and hands over to the
    large-neighbourhood search when it stagnates, soon once no job is late any more:
    run side by side, the two Python searches shared one interpreter lock, and
    squeaky wheel made 40 % fewer passes.
    """
    assert incumbent.best is not None
    deadline = started + options.time_limit
    floor = started + options.time_limit * strategy.min_share
    ceiling = started + options.time_limit * strategy.max_share
    patience = options.time_limit * strategy.patience_share
    lns_patience = options.time_limit * _SQUEAKY_PATIENCE_BEFORE_LNS
    on_time_patience = options.time_limit * _SQUEAKY_PATIENCE_ON_TIME
    lns_ceiling = min(ceiling, started + options.time_limit * _SQUEAKY_SHARE_BEFORE_LNS)
    run = None if built is None else CpSatRun(problem, built, incumbent)
    status: list[cp_model.CpSolverStatus] = []
    helper = None
    if run is not None and options.workers > 1:
        hint = incumbent.best.schedule if options.use_dispatch_hint else None
        helper = threading.Thread(
            target=lambda: status.append(
                run.run(
                    deadline=deadline,
                    workers=options.workers - 1,
                    seed=options.seed,
                    hint=hint,
                    lower_bound=None,
                )
            ),
            name="scheduler-cp-sat",
            daemon=True,
        )
        helper.start()

    def should_stop(next_step_seconds: float = 0.0) -> bool:
        now = time.monotonic() + next_step_seconds
        if incumbent.proven_optimal or now >= deadline:
            return True
        stagnated = now - incumbent.improved_at >= patience
        if neighbourhoods:
            assert incumbent.best is not None
            on_time = metrics.weighted_tardiness(problem, incumbent.best.schedule) == 0
            waited = now - incumbent.improved_at
            stuck = waited >= (on_time_patience if on_time else lns_patience)
            return now >= lns_ceiling or stuck
        if helper is not None and run is not None and run.solutions == 0:
            return False  # CP-SAT has no plan yet: handing over would leave the CPU idle
        return now >= ceiling or (now >= floor and stagnated)

    if strategy.heuristic is Heuristic.TABU:
        local_search.improve(
            problem,
            incumbent.best.schedule,
            seed=options.seed,
            should_stop=should_stop,
            on_improvement=lambda schedule: incumbent.offer(schedule, "local search"),
        )
    else:
        squeaky_wheel.improve(
            problem,
            seed=options.seed,
            should_stop=should_stop,
            on_schedule=lambda schedule: incumbent.offer(schedule, _SQUEAKY_WHEEL),
            base=_fed_bottleneck(problem, incumbent, should_stop) if neighbourhoods else None,
        )
    if helper is not None and run is not None:
        run.stop()
        helper.join()
    return status[0] if status else cp_model.UNKNOWN


def _fed_bottleneck(
    problem: Problem, incumbent: Incumbent, should_stop: Callable[[float], bool]
) -> Callable[[], list[float]] | None:
    """Squeaky wheel's base on large factories: head starts that feed the bottleneck,
    re-targeted from the best plan once squeaky wheel has found one. Choosing the
    bottleneck takes a dispatch per candidate, within the budget (``should_stop``)."""
    drum = bottleneck.choose(problem, incumbent.value_of, should_stop=should_stop)
    if drum is None:
        return None

    def head_starts() -> list[float]:
        best = incumbent.best
        if best is None or best.found_by != _SQUEAKY_WHEEL:
            return drum.head_starts()  # targets from the chain heads
        return drum.head_starts(best.schedule)

    return head_starts


class _Figures(TypedDict):
    """What a ``Result`` reports alike with and without a schedule."""

    tardiness_weight: int
    stability_weight: int
    makespan_weight: int
    first_solution_seconds: float | None


def _result(
    problem: Problem,
    weights: ObjectiveWeights,
    incumbent: Incumbent,
    statuses: list[cp_model.CpSolverStatus],
    seconds: float,
) -> Result:
    best = incumbent.best
    figures = _Figures(
        tardiness_weight=weights.tardiness,
        stability_weight=weights.stability,
        makespan_weight=weights.makespan,
        first_solution_seconds=incumbent.first_solution_seconds,
    )
    if best is None:
        infeasible = cp_model.INFEASIBLE in statuses
        return Result(
            status=SolveStatus.INFEASIBLE if infeasible else SolveStatus.UNKNOWN,
            schedule=(),
            objective=None,
            bound=None if infeasible or incumbent.bound is None else float(incumbent.bound),
            makespan=None,
            weighted_tardiness=None,
            solve_seconds=seconds,
            **figures,
        )
    if cp_model.INFEASIBLE in statuses:
        # A heuristic plan exists, so "infeasible" is a bug in the model, not an answer.
        raise RuntimeError("CP-SAT called a problem infeasible that has a valid schedule")
    proven = cp_model.OPTIMAL in statuses or incumbent.proven_optimal
    # Without a bound from CP-SAT (the budget ran out first), only the trivial one is
    # known: nothing can end before the earliest time in the problem.
    bound = weights.makespan * earliest(problem) if incumbent.bound is None else incumbent.bound
    bound = best.value if proven else min(best.value, bound)
    return Result(
        status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
        schedule=best.schedule,
        objective=float(best.value),
        bound=float(bound),
        makespan=metrics.makespan(best.schedule),
        weighted_tardiness=metrics.weighted_tardiness(problem, best.schedule),
        solve_seconds=seconds,
        moved_operations=metrics.moved_operations(problem, best.schedule),
        found_by=best.found_by,
        **figures,
    )
