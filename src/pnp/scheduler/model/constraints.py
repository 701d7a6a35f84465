"""Constraints: mode choice, machine capacity and availability, changeovers,
precedence with transport, makespan, and the per-machine load bound.

Each function adds one family of constraints to the model; ``builder`` calls them all.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from pnp.scheduler.model.variables import DEPOT, Variables
from pnp.scheduler.problem import Machine, Problem


def add_one_mode_per_operation(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> None:
    for i, op in enumerate(problem.operations):
        modes = variables.modes[i]
        model.add_exactly_one(mode.presence for mode in modes)
        # Redundant with the intervals (present mode => end = start + duration), but as a
        # plain linear equation it gives the LP relaxation the chosen duration.
        model.add(
            variables.ends[i]
            == variables.starts[i]
            + sum(mode.duration * mv.presence for mode, mv in zip(op.modes, modes, strict=True))
        )


def add_machine_capacity(
    model: cp_model.CpModel, problem: Problem, variables: Variables, earliest: int, horizon: int
) -> None:
    """No-overlap per unit machine, cumulative for batch machines; downtime blocks both.

    Time outside a machine's availability windows becomes fixed intervals that fill the
    machine, so the same propagator that packs operations also keeps them out of
    maintenance and out of a drained module's future.
    """
    for machine, intervals in _intervals_by_machine(problem, variables).items():
        spec = problem.machines[machine]
        downtime = [
            model.new_fixed_size_interval_var(start, end - start, f"down_{machine}_{start}")
            for start, end in unavailable_spans(spec, earliest, horizon)
        ]
        if spec.capacity == 1:
            model.add_no_overlap(intervals + downtime)
        else:
            demands = [1] * len(intervals) + [spec.capacity] * len(downtime)
            model.add_cumulative(intervals + downtime, demands, spec.capacity)


def unavailable_spans(machine: Machine, earliest: int, horizon: int) -> list[tuple[int, int]]:
    """The gaps between a machine's availability windows, clipped to ``[earliest, horizon]``."""
    if machine.availability is None:
        return []
    spans, cursor = [], earliest
    for window in machine.availability:
        start = earliest if window.start is None else max(window.start, earliest)
        if start > cursor:
            spans.append((cursor, min(start, horizon)))
        cursor = horizon if window.end is None else max(cursor, window.end)
    if cursor < horizon:
        spans.append((cursor, horizon))
    return [(a, b) for a, b in spans if a < b]


def add_changeovers(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    """Sequence-dependent changeovers via one circuit per machine that has any.

    Each present mode on the machine is a node; the circuit through the depot orders
    them, and an arc a -> b forces ``start(b) >= end(a) + changeover``. Absent modes
    take their self-loop. Exact for any changeover matrix (no triangle inequality
    needed), at the price of a quadratic number of arc literals per machine.
    """
    for machine, arcs in variables.sequences.items():
        spec = problem.machines[machine]
        index = {DEPOT: 0}
        for a, _ in arcs:
            index.setdefault(a, len(index))
        model.add_circuit([(index[a], index[b], literal) for (a, b), literal in arcs.items()])
        for (a, b), literal in arcs.items():
            if a == b:
                if a != DEPOT:
                    model.add(literal == 1 - variables.modes[a[0]][a[1]].presence)
                continue
            if DEPOT in (a, b):
                continue
            op_a, op_b = problem.operations[a[0]], problem.operations[b[0]]
            seconds = spec.changeover(op_a.modes[a[1]].family, op_b.modes[b[1]].family)
            if op_a.frozen and op_b.frozen:
                seconds = 0  # both already happened: only their order matters
            model.add(variables.ends[a[0]] + seconds <= variables.starts[b[0]]).only_enforce_if(
                literal
            )


def add_precedences(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    for p in problem.precedences:
        if problem.operations[p.before].frozen and problem.operations[p.after].frozen:
            continue  # history: both already started
        model.add(variables.ends[p.before] + p.min_delay <= variables.starts[p.after])


def add_transport_times(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    """Per precedence and machine pair, wait for the transport once both modes are chosen."""
    if problem.transport is None:
        return
    for p in problem.precedences:
        if problem.operations[p.before].frozen and problem.operations[p.after].frozen:
            continue
        before_modes = zip(
            problem.operations[p.before].modes, variables.modes[p.before], strict=True
        )
        for before_mode, before_vars in before_modes:
            after_modes = zip(
                problem.operations[p.after].modes, variables.modes[p.after], strict=True
            )
            for after_mode, after_vars in after_modes:
                seconds = problem.transport[before_mode.machine][after_mode.machine]
                if seconds == 0:
                    continue  # the plain precedence already covers it
                model.add(
                    variables.ends[p.before] + p.min_delay + seconds <= variables.starts[p.after]
                ).only_enforce_if(before_vars.presence, after_vars.presence)


def add_makespan_covers_all_ends(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> None:
    for end in variables.ends:
        model.add(variables.makespan >= end)


def add_machine_load_bounds(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> None:
    """Work assigned to a machine fits between time 0 and the makespan.

    Implied by NoOverlap, but NoOverlap's propagation does not reach the LP, while this
    linear form does: it lifts CP-SAT's lower bound on the makespan a great deal on
    flexible job shops (the reference design). Free operations start at 0 or later; frozen
    ones count only for their part after 0, so the bound stays valid when replanning.
    """
    load: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
    for i, op in enumerate(problem.operations):
        for mode, mv in zip(op.modes, variables.modes[i], strict=True):
            work = mode.duration
            if op.frozen is not None:
                work = max(0, op.frozen.start + mode.duration) - max(0, op.frozen.start)
            if work > 0:
                load[mode.machine].append(work * mv.presence)
    for machine, terms in load.items():
        model.add(sum(terms) <= problem.machines[machine].capacity * variables.makespan)


def _intervals_by_machine(
    problem: Problem, variables: Variables
) -> dict[int, list[cp_model.IntervalVar]]:
    intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    for i, op in enumerate(problem.operations):
        for mode, mv in zip(op.modes, variables.modes[i], strict=True):
            intervals[mode.machine].append(mv.interval)
    return intervals
