"""pnp's scheduler: a pure library, a flexible job-shop problem in, a schedule out.

Describe the problem with the dataclasses of ``problem``, call ``solve``, read the
``Result``; ``build_line_graph`` draws the machines one job flows through. It uses
CP-SAT and networkx, and does no I/O.

Layout: ``problem`` (input data and validation), ``result`` (output), ``solve``
(runs the solver), ``model/`` (the CP-SAT model: variables, constraints, objective,
assembled by ``builder``), ``metrics`` (makespan and tardiness of a schedule),
``line_graph`` (the per-job view and its JSON/DOT export).
"""

from scheduler.line_graph import build_line_graph, line_graph_to_dot, line_graph_to_json
from scheduler.problem import Job, Machine, Mode, Operation, Precedence, Problem, ProblemError
from scheduler.result import Result, ScheduledOperation, SolveStatus
from scheduler.solve import SolveOptions, solve

__all__ = [
    "Job",
    "Machine",
    "Mode",
    "Operation",
    "Precedence",
    "Problem",
    "ProblemError",
    "Result",
    "ScheduledOperation",
    "SolveOptions",
    "SolveStatus",
    "build_line_graph",
    "line_graph_to_dot",
    "line_graph_to_json",
    "solve",
]
