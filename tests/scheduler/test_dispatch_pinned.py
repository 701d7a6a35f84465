"""The dispatcher's plans, pinned: a faster dispatcher must place every operation
exactly where the reference one (commit d186654) did.

Each case is a seeded problem (factory features: transport, delays, a batch
machine, a maintenance window, changeovers, frozen operations, a previous plan),
dispatched fresh, when replanning, and with squeaky wheel's per-job boosts; the
digest covers every operation's machine, start and end. If the priority rule is
changed on purpose, regenerate the digests and show plan quality in bench/README.md.
The problems come from ``instances.py``: changing its generators changes them too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random

import pytest

from pnp.scheduler import Objective, Problem, schedule_violations
from pnp.scheduler.heuristics.dispatch import dispatch

from .instances import random_problem, with_factory_features


def _problem(case: str, seed: int) -> Problem:
    rng = random.Random(7000 + seed)
    if case.startswith("large"):
        base = random_problem(
            rng, machine_range=(6, 12), operation_range=(150, 400), max_duration=60
        )
    else:
        base = random_problem(rng)
    problem = with_factory_features(rng, base)
    if case.endswith("fresh"):  # no previous plan: keys by earliest start
        problem = dataclasses.replace(problem, previous_plan=())
    if case.endswith("unstable"):  # a previous plan, but stability not an objective
        problem = dataclasses.replace(
            problem, objectives=(Objective.WEIGHTED_TARDINESS, Objective.MAKESPAN)
        )
    return problem


def _boosts(problem: Problem, seed: int) -> list[float] | None:
    rng = random.Random(seed)
    return [rng.uniform(0, 50) for _ in problem.jobs]


def _digest(problem: Problem, boosted: bool, seed: int) -> str:
    schedule = dispatch(problem, _boosts(problem, seed) if boosted else None)
    if schedule is None:
        return "none"
    assert schedule_violations(problem, schedule) == []
    text = ";".join(f"{s.machine},{s.start},{s.end}" for s in schedule)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


CASES = [
    (case, boosted)
    for case in ("small-fresh", "small-replan", "small-unstable", "large-fresh", "large-replan")
    for boosted in (False, True)
]
SEEDS = {"small": range(40), "large": range(4)}

# Digests of the reference dispatcher's plans (commit d186654).
PINNED = {
    "small-fresh": "6a92819fef448c6c",
    "small-fresh-boosted": "40786ee722a9f4df",
    "small-replan": "658ec97c2c18d7ae",
    "small-replan-boosted": "17b5fd4bdde98f1f",
    "small-unstable": "d85f71be0fed47bc",
    "small-unstable-boosted": "609e77b203cf1467",
    "large-fresh": "32a7ee2c7875d367",
    "large-fresh-boosted": "ce4d413644f3615f",
    "large-replan": "eb6b42e1033bd935",
    "large-replan-boosted": "31216f03c77b1507",
}


@pytest.mark.parametrize(("case", "boosted"), CASES)
def test_dispatch_places_every_operation_as_the_reference_did(case, boosted):
    seeds = SEEDS[case.split("-")[0]]
    digests = [_digest(_problem(case, seed), boosted, seed) for seed in seeds]
    key = f"{case}{'-boosted' if boosted else ''}"
    combined = hashlib.sha256(" ".join(digests).encode()).hexdigest()[:16]
    assert combined == PINNED[key]
