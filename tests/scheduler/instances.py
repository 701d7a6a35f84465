"""Problem factories for the tests: one-line hand instances and seeded random ones."""

from __future__ import annotations

import dataclasses
import random

from pnp.scheduler import (
    Changeover,
    Job,
    Machine,
    Mode,
    Operation,
    Placement,
    Precedence,
    Problem,
    Window,
)

FAMILIES = ("red", "blue", "green")


def machines(count: int) -> tuple[Machine, ...]:
    return tuple(Machine(f"M{m}") for m in range(count))


def op(name: str, job: int, *modes: tuple[int, int]) -> Operation:
    """``op("a", 0, (machine, duration), ...)``."""
    return Operation(name, job, tuple(Mode(m, d) for m, d in modes))


def random_problem(
    rng: random.Random,
    machine_range: tuple[int, int] = (3, 5),
    operation_range: tuple[int, int] = (8, 15),
    max_duration: int = 20,
) -> Problem:
    """Jobs whose operations form a random DAG; random modes (zero durations included),
    transport, releases (some negative), due dates (some negative) and weights."""
    n_machines = rng.randint(*machine_range)
    n_ops = rng.randint(*operation_range)
    n_jobs = rng.randint(1, max(1, n_ops // 3))
    jobs = tuple(
        Job(
            f"J{j}",
            weight=rng.randint(0, 5),
            due=rng.choice([None, rng.randint(-10, 60)]),
            release=rng.choice([0, 0, rng.randint(-5, 30)]),
        )
        for j in range(n_jobs)
    )
    # Every job gets at least one operation; the rest are spread at random.
    owners = sorted([*range(n_jobs), *(rng.randrange(n_jobs) for _ in range(n_ops - n_jobs))])
    operations = []
    for i, job in enumerate(owners):
        chosen = rng.sample(range(n_machines), rng.randint(1, min(3, n_machines)))
        operations.append(op(f"o{i}", job, *((m, rng.randint(0, max_duration)) for m in chosen)))
    precedences = []
    for j in range(n_jobs):
        own = [i for i, job in enumerate(owners) if job == j]
        # Each operation follows 0-2 earlier ones of its job: branches, joins, and the
        # occasional independent start. Edges go forward in index order: no cycles.
        for k in range(1, len(own)):
            for before in rng.sample(own[:k], rng.randint(0, min(2, k))):
                delay = rng.choice([0, 0, rng.randint(1, 5)])
                precedences.append(Precedence(before, own[k], min_delay=delay))
    transport = None
    if rng.random() < 0.7:
        transport = tuple(
            tuple(0 if a == b else rng.randint(0, 6) for b in range(n_machines))
            for a in range(n_machines)
        )
    return Problem(machines(n_machines), jobs, tuple(operations), tuple(precedences), transport)


def with_factory_features(rng: random.Random, problem: Problem) -> Problem:
    """The same problem plus what a real floor has: a batch machine, a maintenance
    window, changeovers between families, frozen operations and a previous plan."""
    n = len(problem.machines)
    batch, maintained, painted = rng.sample(range(n), 3) if n >= 3 else (0, 0, 0)
    specs = []
    for m, machine in enumerate(problem.machines):
        spec = machine
        if m == batch:
            spec = dataclasses.replace(spec, capacity=2)
        if m == maintained and m != batch:
            start = rng.randint(5, 30)
            spec = dataclasses.replace(
                spec, availability=(Window(None, start), Window(start + rng.randint(5, 20), None))
            )
        if m == painted and m != batch:
            spec = dataclasses.replace(
                spec,
                changeovers=tuple(
                    Changeover(a, b, rng.randint(1, 8))
                    for a in FAMILIES
                    for b in FAMILIES
                    if a != b
                ),
            )
        specs.append(spec)
    operations = [
        dataclasses.replace(
            o, modes=tuple(dataclasses.replace(m, family=rng.choice(FAMILIES)) for m in o.modes)
        )
        for o in problem.operations
    ]
    # Freeze a few operations without predecessors: they started in the past on a
    # machine that was available then (before any maintenance).
    has_predecessor = {p.after for p in problem.precedences}
    taken: set[int] = set()
    for i, o in enumerate(operations):
        if i in has_predecessor or rng.random() > 0.25:
            continue
        mode = rng.choice(o.modes)
        if mode.machine in taken or specs[mode.machine].availability is not None:
            continue
        taken.add(mode.machine)
        operations[i] = dataclasses.replace(
            o, frozen=Placement(mode.machine, -rng.randint(0, mode.duration))
        )
    previous = tuple(
        Placement(rng.choice(o.modes).machine, rng.randint(0, 50)) if rng.random() < 0.7 else None
        for o in operations
    )
    return dataclasses.replace(
        problem, machines=tuple(specs), operations=tuple(operations), previous_plan=previous
    )
