"""The per-job line graph: machines visited, material flows, JSON and DOT."""

from __future__ import annotations

import json

import pytest

from pnp.scheduler import (
    Job,
    Machine,
    Precedence,
    Problem,
    Result,
    SolveOptions,
    SolveStatus,
    build_line_graph,
    line_graph_to_dot,
    line_graph_to_json,
    solve,
)

from .checker import assert_valid
from .instances import machines, op

FAST = SolveOptions(time_limit=2.0, seed=1)

# Job 0: cut (M0) -> drill (M1) -> deburr (M1) -> pack (M0), plus cut -> mark (M2).
# Job 1: one operation on M2, which must not show up in job 0's graph.
PROBLEM = Problem(
    machines(3),
    (Job("order-1"), Job("order-2")),
    (
        op("cut", 0, (0, 2)),
        op("drill", 0, (1, 3)),
        op("deburr", 0, (1, 1)),
        op("pack", 0, (0, 1)),
        op("mark", 0, (2, 1)),
        op("other", 1, (2, 5)),
    ),
    (Precedence(0, 1), Precedence(1, 2), Precedence(2, 3), Precedence(0, 4)),
    ((0, 4, 6), (5, 0, 7), (8, 9, 0)),
)


def solved(problem: Problem) -> Result:
    result = solve(problem, FAST)
    assert_valid(problem, result)
    return result


def test_nodes_are_the_machines_the_job_visits_with_its_operations_in_start_order():
    graph = build_line_graph(PROBLEM, solved(PROBLEM), 0)
    assert set(graph.nodes) == {"M0", "M1", "M2"}
    assert graph.nodes["M0"]["operations"] == ["cut", "pack"]
    assert graph.nodes["M1"]["operations"] == ["drill", "deburr"]
    assert graph.nodes["M2"]["operations"] == ["mark"]


def test_edges_follow_material_between_different_machines_with_transport():
    graph = build_line_graph(PROBLEM, solved(PROBLEM), 0)
    assert set(graph.edges) == {("M0", "M1"), ("M1", "M0"), ("M0", "M2")}
    assert graph.edges["M0", "M1"] == {"transport": 4, "flows": ["cut->drill"]}
    assert graph.edges["M1", "M0"] == {"transport": 5, "flows": ["deburr->pack"]}
    assert graph.edges["M0", "M2"] == {"transport": 6, "flows": ["cut->mark"]}


def test_steps_on_the_same_machine_make_no_edge():
    graph = build_line_graph(PROBLEM, solved(PROBLEM), 0)
    assert not graph.has_edge("M1", "M1")


def test_only_the_requested_job_is_drawn():
    graph = build_line_graph(PROBLEM, solved(PROBLEM), 1)
    assert list(graph.nodes(data=True)) == [("M2", {"operations": ["other"]})]
    assert graph.number_of_edges() == 0


def test_flows_between_the_same_two_machines_merge_into_one_edge():
    problem = Problem(
        machines(2),
        (Job("j"),),
        (op("a", 0, (0, 1)), op("b", 0, (0, 1)), op("c", 0, (1, 1))),
        (Precedence(0, 2), Precedence(1, 2)),
    )
    graph = build_line_graph(problem, solved(problem), 0)
    assert graph.number_of_edges() == 1
    assert graph.edges["M0", "M1"] == {"transport": 0, "flows": ["a->c", "b->c"]}


def test_json_lists_nodes_and_edges():
    problem = Problem(
        machines(2),
        (Job("j"),),
        (op("a", 0, (0, 2)), op("b", 0, (1, 1))),
        (Precedence(0, 1),),
        ((0, 3), (3, 0)),
    )
    document = line_graph_to_json(build_line_graph(problem, solved(problem), 0))
    assert document == {
        "nodes": [
            {"machine": "M0", "operations": ["a"]},
            {"machine": "M1", "operations": ["b"]},
        ],
        "edges": [{"from": "M0", "to": "M1", "transport": 3, "flows": ["a->b"]}],
    }
    assert json.loads(json.dumps(document)) == document


def test_dot_draws_machines_and_labelled_flows():
    dot = line_graph_to_dot(build_line_graph(PROBLEM, solved(PROBLEM), 0))
    assert dot.startswith('digraph "order-1" {')
    assert dot.endswith("}\n")
    assert '"M0" [label="M0\\ncut\\npack"];' in dot
    assert '"M0" -> "M1" [label="4 s\\ncut->drill"];' in dot


def test_dot_escapes_quotes_in_names():
    problem = Problem((Machine('Press "A"'),), (Job("j"),), (op("a", 0, (0, 1)),))
    dot = line_graph_to_dot(build_line_graph(problem, solved(problem), 0))
    assert '"Press \\"A\\""' in dot


def test_a_result_without_schedule_has_no_line_graph():
    empty = Result(SolveStatus.UNKNOWN, (), None, None, None, None, 1.0)
    with pytest.raises(ValueError, match="no schedule"):
        build_line_graph(PROBLEM, empty, 0)


def test_a_missing_job_has_no_line_graph():
    with pytest.raises(ValueError, match="job 7"):
        build_line_graph(PROBLEM, solved(PROBLEM), 7)
