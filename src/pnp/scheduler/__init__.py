"""pnp's scheduler: a pure library, a factory scheduling problem in, a schedule out.

Describe the problem with the dataclasses of ``problem`` (machines with capacity,
availability windows and changeovers; jobs with releases, due dates and weights;
operations with alternative modes; precedences with delays; transport between
machines; frozen operations and the previous plan; ranked objectives), call
``solve``, read the ``Result``, and check it with ``check_schedule``.
``build_line_graph`` draws the machines one job flows through. It uses CP-SAT and
networkx, and does no I/O: ``parse_fjs`` parses benchmark text it is given.

Layout: ``problem`` (input data and its structural checks), ``result``
(output), ``solve`` (the phases of a solve, within one time budget), ``portfolio``
(which search an instance gets, from its features), ``lower_bound`` (a makespan
bound before any search), ``heuristics/``
(greedy dispatch, critical-path tabu search), ``model/`` (the CP-SAT model:
variables, constraints, objective, hints, assembled by ``builder``), ``cp_sat``
(one CP-SAT run), ``incumbent`` (best plan so far, progress reports), ``check``
(the independent checker), ``metrics`` (figures of a schedule), ``fjsp`` (the
``.fjs`` benchmark format), ``line_graph`` (the per-job view, JSON/DOT export).
"""

from pnp.scheduler.check import check_schedule, schedule_violations
from pnp.scheduler.fjsp import FjspFormatError, FjspInstance, parse_fjs
from pnp.scheduler.incumbent import Progress
from pnp.scheduler.line_graph import build_line_graph, line_graph_to_dot, line_graph_to_json
from pnp.scheduler.problem import (
    DEFAULT_OBJECTIVES,
    Changeover,
    Job,
    Machine,
    Mode,
    Objective,
    Operation,
    Placement,
    Precedence,
    Problem,
    ProblemError,
    Window,
)
from pnp.scheduler.result import Result, ScheduledOperation, SolveStatus
from pnp.scheduler.solve import SolveOptions, solve

__all__ = [
    "DEFAULT_OBJECTIVES",
    "Changeover",
    "FjspFormatError",
    "FjspInstance",
    "Job",
    "Machine",
    "Mode",
    "Objective",
    "Operation",
    "Placement",
    "Precedence",
    "Problem",
    "ProblemError",
    "Progress",
    "Result",
    "ScheduledOperation",
    "SolveOptions",
    "SolveStatus",
    "Window",
    "build_line_graph",
    "check_schedule",
    "line_graph_to_dot",
    "line_graph_to_json",
    "parse_fjs",
    "schedule_violations",
    "solve",
]
