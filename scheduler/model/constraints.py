"""Constraints: mode choice, machine capacity, precedence, transport, makespan, load.

Each function adds one family of constraints to the model; ``builder`` calls them all.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from scheduler.model.variables import Variables
from scheduler.problem import Problem


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


def add_one_operation_at_a_time_per_machine(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> None:
    for intervals in _intervals_by_machine(problem, variables).values():
        model.add_no_overlap(intervals)


def add_precedences(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    for p in problem.precedences:
        model.add(variables.ends[p.before] + p.min_delay <= variables.starts[p.after])


def add_transport_times(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    """Per precedence and machine pair, wait for the transport once both modes are chosen."""
    if problem.transport is None:
        return
    for p in problem.precedences:
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
    """Work assigned to a machine fits before the makespan.

    Implied by NoOverlap, but NoOverlap's propagation does not reach the LP, while this
    linear form does: it lifts CP-SAT's lower bound on the makespan a great deal on
    flexible job shops (DESIGN section 6).
    """
    load: dict[int, list[cp_model.LinearExpr]] = defaultdict(list)
    for i, op in enumerate(problem.operations):
        for mode, mv in zip(op.modes, variables.modes[i], strict=True):
            if mode.duration > 0:
                load[mode.machine].append(mode.duration * mv.presence)
    for terms in load.values():
        model.add(sum(terms) <= variables.makespan)


def _intervals_by_machine(
    problem: Problem, variables: Variables
) -> dict[int, list[cp_model.IntervalVar]]:
    intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    for i, op in enumerate(problem.operations):
        for mode, mv in zip(op.modes, variables.modes[i], strict=True):
            intervals[mode.machine].append(mv.interval)
    return intervals
