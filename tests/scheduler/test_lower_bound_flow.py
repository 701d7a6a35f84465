"""The throughput argument of the makespan bound: a stage cannot work on what the
stage before has not finished. The bound must never exceed the optimum (CP-SAT on a
model written here, apart from the scheduler's own, proves it on small factories),
and on a line whose last stage waits for a slow first one it sees what the
per-operation chains and the per-group loads alone do not."""

from __future__ import annotations

import itertools
import random

import pytest
from ortools.sat.python import cp_model

from pnp.scheduler import (
    Job,
    Machine,
    Mode,
    Operation,
    Placement,
    Precedence,
    Problem,
    lower_bound,
)
from pnp.scheduler.lower_bound import makespan_lower_bound


def without_throughput(problem: Problem, monkeypatch: pytest.MonkeyPatch) -> int:
    """The bound from chains, head-load-tail and the assignment LP alone."""
    with monkeypatch.context() as patched:
        patched.setattr(lower_bound, "_flows", lambda *_: ())
        return makespan_lower_bound(problem)


def proven_optimum(problem: Problem) -> int:
    """The least makespan, proven by CP-SAT on its own model of the problem (changeovers
    and availability windows are not modelled: the generator below has none)."""
    model = cp_model.CpModel()
    horizon = (
        sum(max(m.duration for m in op.modes) for op in problem.operations)
        + max(max(0, job.release) for job in problem.jobs)
        + sum(p.min_delay for p in problem.precedences)
        + len(problem.precedences) * max(max(row) for row in problem.transport or ((0,),))
    )
    starts, ends, chosen = [], [], []
    by_machine: dict[int, list[cp_model.IntervalVar]] = {
        m: [] for m in range(len(problem.machines))
    }
    for i, op in enumerate(problem.operations):
        if op.frozen is not None:
            mode = next(m for m in op.modes if m.machine == op.frozen.machine)
            start = model.new_constant(op.frozen.start)
            end = model.new_constant(op.frozen.start + mode.duration)
            by_machine[mode.machine].append(
                model.new_fixed_size_interval_var(op.frozen.start, mode.duration, f"f{i}")
            )
            starts.append(start)
            ends.append(end)
            chosen.append({mode.machine: model.new_constant(1)})
            continue
        start = model.new_int_var(max(0, problem.jobs[op.job].release), horizon, f"s{i}")
        end = model.new_int_var(0, horizon, f"e{i}")
        presence = {}
        for mode in op.modes:
            used = model.new_bool_var(f"x{i}_{mode.machine}")
            by_machine[mode.machine].append(
                model.new_optional_interval_var(start, mode.duration, end, used, f"i{i}")
            )
            presence[mode.machine] = used
        model.add_exactly_one(presence.values())
        starts.append(start)
        ends.append(end)
        chosen.append(presence)
    for p in problem.precedences:
        if problem.operations[p.before].frozen and problem.operations[p.after].frozen:
            continue
        for a, used_a in chosen[p.before].items():
            for b, used_b in chosen[p.after].items():
                wait = p.min_delay + problem.transport_time(a, b)
                model.add(ends[p.before] + wait <= starts[p.after]).only_enforce_if(used_a, used_b)
    for m, intervals in by_machine.items():
        model.add_cumulative(intervals, [1] * len(intervals), problem.machines[m].capacity)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    assert solver.solve(model) == cp_model.OPTIMAL
    return int(solver.value(makespan))


def small_factory(rng: random.Random) -> Problem:
    """A line of 2-4 module kinds (1-2 modules each, some of them batch machines), jobs
    that pass through several kinds in order (some with a parallel branch that joins
    again), minimum delays, transport between modules, releases, and a few jobs whose
    first step already runs (frozen, started in the past)."""
    kinds = rng.randint(2, 4)
    machines: list[Machine] = []
    of_kind: list[list[int]] = []
    for k in range(kinds):
        mine = []
        for _ in range(rng.randint(1, 2)):
            mine.append(len(machines))
            machines.append(Machine(f"k{k}-{len(machines)}", capacity=rng.choice([1, 1, 1, 2])))
        of_kind.append(mine)
    transport = None
    if rng.random() < 0.7:
        transport = tuple(
            tuple(0 if a == b else rng.randint(0, 4) for b in range(len(machines)))
            for a in range(len(machines))
        )
    jobs: list[Job] = []
    operations: list[Operation] = []
    precedences: list[Precedence] = []
    frozen_on: set[int] = set()
    while len(operations) < rng.randint(8, 13):
        j = len(jobs)
        jobs.append(Job(f"j{j}", release=rng.choice([0, 0, rng.randint(0, 10)])))
        route = sorted(rng.sample(range(kinds), rng.randint(2, kinds)))
        steps = []
        for kind in route:
            capable = rng.sample(of_kind[kind], rng.randint(1, len(of_kind[kind])))
            modes = tuple(Mode(m, rng.randint(1, 9)) for m in capable)
            steps.append(len(operations))
            operations.append(Operation(f"j{j}/{kind}", j, modes))
        for before, after in itertools.pairwise(steps):
            precedences.append(Precedence(before, after, rng.choice([0, 0, rng.randint(1, 3)])))
        if len(steps) >= 3 and rng.random() < 0.3:  # the first step feeds the third directly too
            precedences.append(Precedence(steps[0], steps[2]))
        first = operations[steps[0]]
        machine = first.modes[0].machine
        if rng.random() < 0.2 and machine not in frozen_on:
            frozen_on.add(machine)
            started = -rng.randint(0, first.modes[0].duration)
            operations[steps[0]] = Operation(
                first.name, j, first.modes, frozen=Placement(machine, started)
            )
    return Problem(tuple(machines), tuple(jobs), tuple(operations), tuple(precedences), transport)


@pytest.mark.parametrize("seed", range(60))
def test_bound_is_never_above_the_proven_optimum_of_a_small_factory(seed):
    problem = small_factory(random.Random(7000 + seed))
    problem.validate()
    assert makespan_lower_bound(problem) <= proven_optimum(problem)


def test_a_slow_first_stage_holds_back_the_stage_after_it(monkeypatch):
    # One cutter feeds four ovens: four parts, 10 s of cutting each, then 100 s in any
    # oven; four more parts need only 1 s of cutting. The cutter can hand over its
    # fourth oven part at 40 s at the earliest, so the last bake ends at 140 s.
    # Chains say 10 + 100, the ovens' load 10 + 400 / 4 and the cutter's load 44 + the
    # least tail among its work (0, the short parts'): 110. Counting what the cutter
    # can have finished says at most three bakes start before 39 s, so one runs
    # from 39 s on: 139; the mirrored count (the four oven parts' cuts must all
    # finish 100 s before the end, one after another) says 140.
    machines = (Machine("cutter"), *(Machine(f"oven{k}") for k in range(4)))
    jobs, operations, precedences = [], [], []
    for j in range(4):
        jobs.append(Job(f"part{j}"))
        operations += [
            Operation(f"part{j}/cut", j, (Mode(0, 10),)),
            Operation(f"part{j}/bake", j, tuple(Mode(m, 100) for m in range(1, 5))),
        ]
        precedences.append(Precedence(len(operations) - 2, len(operations) - 1))
    for j in range(4, 8):
        jobs.append(Job(f"part{j}"))
        operations.append(Operation(f"part{j}/cut", j, (Mode(0, 1),)))
    problem = Problem(machines, tuple(jobs), tuple(operations), tuple(precedences))
    assert without_throughput(problem, monkeypatch) == 110
    assert makespan_lower_bound(problem) == proven_optimum(problem) == 140


def test_a_long_chain_of_steps_is_counted_without_running_out_of_stack():
    # 3000 steps of 2 s in a row over three machines: only the chain bounds it.
    steps = 3000
    problem = Problem(
        (Machine("a"), Machine("b"), Machine("c")),
        (Job("j"),),
        tuple(Operation(f"s{i}", 0, (Mode(i % 3, 2),)) for i in range(steps)),
        tuple(Precedence(i, i + 1) for i in range(steps - 1)),
    )
    assert makespan_lower_bound(problem) == 2 * steps


def test_a_module_only_late_work_can_use_opens_late():
    # The press takes two early parts (10 s each, from 0) and may take four late ones
    # (5 s each, from 10 s, when the shared cut is done); the spare press takes only
    # the late ones. Loads over the whole group say 40 s / 2 = 20, and so do the
    # press's own work and the late work from 10 s on (10 + 20 / 2); but the spare
    # press cannot work before 10 s, so the two presses have 20 + (C - 10) s of room
    # for 40 s of work from 0: C >= 25, the optimum.
    machines = (Machine("press"), Machine("spare"), Machine("cutter"))
    early = [Operation(f"early/{k}", 0, (Mode(0, 10),)) for k in range(2)]
    cut = Operation("late/cut", 1, (Mode(2, 10),))
    late = [Operation(f"late/{k}", 1, (Mode(0, 5), Mode(1, 5))) for k in range(4)]
    operations = (*early, cut, *late)
    precedences = tuple(Precedence(2, 3 + k) for k in range(4))
    problem = Problem(machines, (Job("early"), Job("late")), operations, precedences)
    assert makespan_lower_bound(problem) == proven_optimum(problem) == 25
