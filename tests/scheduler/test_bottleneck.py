"""Feeding the bottleneck: head starts from a relaxed plan of the busiest module kind."""

from __future__ import annotations

import random

from pnp.scheduler import Job, Precedence, Problem, schedule_violations
from pnp.scheduler.heuristics import squeaky_wheel
from pnp.scheduler.heuristics.bottleneck import choose
from pnp.scheduler.heuristics.dispatch import dispatch
from pnp.scheduler.metrics import makespan, weighted_tardiness

from .instances import machines, op, random_problem, with_factory_features


def _two_stage(*jobs: tuple[int, int], due: tuple[int | None, ...] | None = None) -> Problem:
    """Each job: one step on the upstream machine M0, then one on the packing machine M1."""
    operations, precedences = [], []
    for j, (upstream, packing) in enumerate(jobs):
        operations += [op(f"j{j}/cut", j, (0, upstream)), op(f"j{j}/pack", j, (1, packing))]
        precedences.append(Precedence(2 * j, 2 * j + 1))
    dues = due or (None,) * len(jobs)
    return Problem(
        machines(2),
        tuple(Job(f"j{j}", due=dues[j]) for j in range(len(jobs))),
        tuple(operations),
        tuple(precedences),
    )


def test_upstream_serves_first_the_job_that_reaches_packing_soonest():
    # x has the most work (9 + 1), so the plain dispatcher cuts it first, and packing
    # waits 9 s for anything. Fed first, y reaches packing after 1 s and keeps it busy.
    problem = _two_stage((9, 1), (1, 8))
    plain = dispatch(problem)
    assert plain is not None and makespan(plain) == 18
    drum = choose(problem, makespan)
    assert drum is not None
    boosts = drum.head_starts()
    assert boosts[1] > boosts[0]
    fed = dispatch(problem, boosts)
    assert fed is not None and makespan(fed) == 11


def test_an_order_that_must_be_on_time_goes_to_the_bottleneck_first():
    # Both could reach packing at 2 s; x is due by 12 and may not wait behind y.
    problem = _two_stage((2, 8), (2, 9), due=(12, None))
    drum = choose(problem, lambda s: 1000 * weighted_tardiness(problem, s) + makespan(s))
    assert drum is not None
    boosts = drum.head_starts()
    assert boosts[0] > boosts[1]
    fed = dispatch(problem, boosts)
    assert fed is not None and weighted_tardiness(problem, fed) == 0


def test_it_gives_nothing_when_no_operation_can_move():
    problem = Problem(machines(1), (Job("j"),), ())
    assert choose(problem, makespan) is None


def test_with_a_plan_the_targets_follow_when_its_upstream_delivers():
    # By chain heads y reaches packing first (after 1 s); in a plan that cuts x first,
    # x's input is there first, and the targets follow the plan.
    problem = _two_stage((9, 1), (1, 8))
    drum = choose(problem, makespan)
    assert drum is not None
    x_first = dispatch(problem)
    assert x_first is not None and x_first[0].end < x_first[2].end
    boosts = drum.head_starts(x_first)
    assert boosts[0] > boosts[1]


def test_squeaky_wheel_asks_for_its_base_before_every_pass():
    problem = _two_stage((9, 1), (1, 8))
    drum = choose(problem, makespan)
    assert drum is not None
    plans: list[object] = []
    asked = []

    def base() -> list[float]:
        asked.append(len(plans))
        return drum.head_starts()

    squeaky_wheel.improve(
        problem, seed=0, should_stop=lambda _: len(plans) >= 3, on_schedule=plans.append, base=base
    )
    assert asked == [0, 1, 2]
    assert plans[0] == dispatch(problem, drum.head_starts())


def test_the_plans_stay_valid_on_factory_problems():
    for seed in range(25):
        rng = random.Random(seed)
        problem = with_factory_features(rng, random_problem(rng, operation_range=(20, 40)))
        drum = choose(problem, makespan)
        assert drum is not None, seed
        schedule = dispatch(problem, drum.head_starts())
        assert schedule is not None, seed
        assert schedule_violations(problem, schedule) == [], seed
        schedule = dispatch(problem, drum.head_starts(schedule))
        assert schedule is not None, seed
        assert schedule_violations(problem, schedule) == [], seed
