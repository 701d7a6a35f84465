"""Which search a problem gets: features of the instance in, a strategy out.

``solve`` runs a heuristic next to CP-SAT for a share of the budget (the improve
phase), then CP-SAT alone on every worker from the best plan (the polish). How long
the improve phase should last depends on the instance, and measurement across the
FJSP families (``bench/fjsp.py --sample``; figures in ``bench/README.md``) showed
where a fixed half of the budget hurts:

- **Small instances** (up to 120 operations; Kacem, Fattahi, Hurink la01-la20,
  Chambers-Barnes mt10*): CP-SAT proves or nearly proves them within seconds once it
  has every worker, while half the budget on one worker next to the tabu search
  leaves it short. The tabu search still finds most of its improvement in the first
  tenth of a second, which makes a good hint, so it gets a short fixed phase (a fifth).
- **Large instances** (Behnke-Geiger, Dauzère-Pérès, Brandimarte mk06 and mk10-mk15,
  Hurink la21-la40): the tabu search keeps improving long after CP-SAT on one worker stalls,
  and a longer phase pays.

On large instances the improve phase adapts: it lasts at least ``min_share`` of the
budget and at most ``max_share``, and in between hands over to CP-SAT as soon as no
better plan has appeared for ``patience_share`` of the budget (the search has
stagnated on this instance). The features set those three numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pnp.scheduler.heuristics.local_search import local_search_applies
from pnp.scheduler.problem import Problem

# Up to this many operations an instance counts as small (see the module docstring).
# mk06 (150 operations, never proven at 10 or 60 s) stayed at 62 after 60 s as a small
# instance, against 60 with half the budget for the tabu search: the line is below it.
SMALL_INSTANCE = 120
# Above this many operations CP-SAT is left out: on bench/scale.py's 10,002-operation
# factory building the model took 7 s of CPU and 600 MB, its presolve did not end
# within a minute, and stopping it overran the time limit by half a minute; the
# heuristics get the whole budget instead.
CP_SAT_OPERATIONS = 5000
# From this many operations per machine on, CP-SAT polishes a large instance with its
# neighbourhood workers only (``polish_by_neighbourhoods_only``).
LONG_SEQUENCES = 25


class Heuristic(StrEnum):
    TABU = "local search"  # critical-path tabu search (makespan, unit machines)
    SQUEAKY_WHEEL = "squeaky wheel"  # repeated dispatch (due dates, factories, replanning)
    NONE = "none"  # CP-SAT alone from the dispatch plan


@dataclass(frozen=True)
class Features:
    """What the portfolio looks at."""

    operations: int
    machines: int
    flexibility: float  # mean number of modes per operation
    operations_per_job: float

    @classmethod
    def of(cls, problem: Problem) -> Features:
        n = len(problem.operations)
        jobs = len({op.job for op in problem.operations}) or 1
        return cls(
            operations=n,
            machines=len(problem.machines),
            flexibility=sum(len(op.modes) for op in problem.operations) / max(1, n),
            operations_per_job=n / jobs,
        )


@dataclass(frozen=True)
class Strategy:
    heuristic: Heuristic
    min_share: float  # the improve phase lasts at least this share of the budget...
    max_share: float  # ...and at most this one...
    patience_share: float  # ...handing over after this long without a better plan
    reason: str  # for logs and benchmarks: why this strategy
    use_cp_sat: bool = True  # False: too large to build and presolve within the budget

    def __post_init__(self) -> None:
        if not 0 <= self.min_share <= self.max_share <= 1:
            raise ValueError(f"need 0 <= min_share <= max_share <= 1, got {self}")


def choose_strategy(
    problem: Problem, *, improve_share: float | None, use_improve_phase: bool
) -> Strategy:
    """The strategy for ``problem``; a fixed ``improve_share`` overrides the features."""
    if not use_improve_phase:
        return Strategy(Heuristic.NONE, 0.0, 0.0, 1.0, "improve phase switched off")
    features = Features.of(problem)
    if features.operations > CP_SAT_OPERATIONS:
        heuristic = Heuristic.TABU if local_search_applies(problem) else Heuristic.SQUEAKY_WHEEL
        return Strategy(
            heuristic, 1.0, 1.0, 1.0, f"too large for CP-SAT ({features.operations} operations)",
            use_cp_sat=False,
        )  # fmt: skip
    if not local_search_applies(problem):
        # Squeaky wheel serves factories whose CP-SAT model is slow to start: it keeps
        # the CPU until CP-SAT has a plan of its own, whatever the share.
        share = 0.5 if improve_share is None else improve_share
        return Strategy(Heuristic.SQUEAKY_WHEEL, share, share, 1.0, "not a pure makespan problem")
    if improve_share is not None:
        return Strategy(Heuristic.TABU, improve_share, improve_share, 1.0, "fixed share")
    if features.operations <= SMALL_INSTANCE:
        # A fixed fifth: handing over as soon as the tabu search stagnated (a few tenths
        # of a second in) restarted CP-SAT too early and lost what its single worker was
        # about to find (fattahi19: 1091-1098 against 1055 at 5 s).
        return Strategy(Heuristic.TABU, 0.2, 0.2, 1.0, f"small ({features.operations} operations)")
    return Strategy(Heuristic.TABU, 0.3, 0.7, 0.15, f"large ({features.operations} operations)")


def polish_by_neighbourhoods_only(problem: Problem, workers: int) -> bool:
    """Whether CP-SAT, given ``workers`` and a plan to start from, should run only its
    large-neighbourhood workers (``use_lns_only``) on ``problem``.

    Yes for large makespan problems the tabu search applies to with long machine
    sequences (``LONG_SEQUENCES`` operations per machine or more: Dauzère-Pérès, the
    larger Hurink e-data), on two workers. From the tabu search's plan after 4 s,
    5 s of CP-SAT on two workers, default against neighbourhood workers only:

    - long sequences: better on 5 (dpp01a 2505 against 2507, dpp02a 2249 / 2255,
      dpp05a 2236 / 2241, dpp07a 2421 / 2434, dpp16a 2395 / 2397), equal on 4
      (dpp10a, dpp13a, dpp17a, la34_edata), worse on none. At two workers the default
      portfolio spends one on the LP and the bound, which on 20-operation jobs over
      5-10 machines does not close at 10 s anyway;
    - shorter sequences: worse on 2 (mk06 61 against 60, la36_rdata 1061 / 1058),
      equal on 4 (behnke15, behnke36, mk10, abz9_rdata): left as they are.

    Not with one worker (next to the tabu search it found nothing either way on
    behnke15, dpp10a, dpp13a), not with more than two (not measured; CP-SAT's default
    portfolio then has neighbourhood workers of its own), and not on small instances,
    where the proof of optimality is what the bound worker is for.
    """
    features = Features.of(problem)
    return (
        workers == 2
        and features.operations > SMALL_INSTANCE
        and features.operations >= LONG_SEQUENCES * features.machines
        and local_search_applies(problem)
    )
