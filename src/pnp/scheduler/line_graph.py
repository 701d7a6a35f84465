"""The production line one job runs through: machines it visits and material flows.

A view of a solved schedule for planners: each node is a machine (keyed by name)
with the job's operations on it; each edge is material moving between two machines
because of a precedence inside the job. Exported as plain JSON or Graphviz DOT.
"""

from __future__ import annotations

import networkx

from pnp.scheduler.problem import Problem
from pnp.scheduler.result import Result


def build_line_graph(problem: Problem, result: Result, job: int) -> networkx.DiGraph[str]:
    """Machines used by ``job`` in ``result`` and the flows between them.

    Nodes are keyed by machine name, with attribute ``operations`` (operation names in
    start order). An edge ``a -> b`` has ``transport`` (seconds, from
    ``Problem.transport``) and ``flows`` (``"before->after"`` operation names), one flow
    per precedence of the job whose operations sit on different machines.
    """
    if not 0 <= job < len(problem.jobs):
        raise ValueError(f"job {job} does not exist: there are {len(problem.jobs)} jobs")
    if not result.has_solution:
        raise ValueError(f"result has no schedule (status {result.status.value})")
    placed = {s.operation: s for s in result.schedule}
    own = [placed[i] for i in problem.job_operations(job)]

    graph: networkx.DiGraph[str] = networkx.DiGraph(job=problem.jobs[job].name)
    # Stable on ties (start, then operation index) so the same schedule draws the same.
    for s in sorted(own, key=lambda s: (s.start, s.operation)):
        name = problem.machines[s.machine].name
        if name not in graph:
            graph.add_node(name, operations=[])
        graph.nodes[name]["operations"].append(problem.operations[s.operation].name)

    for p in problem.precedences:
        if problem.operations[p.before].job != job or problem.operations[p.after].job != job:
            continue
        source, target = placed[p.before].machine, placed[p.after].machine
        if source == target:
            continue  # no material moves between machines
        a, b = problem.machines[source].name, problem.machines[target].name
        if not graph.has_edge(a, b):
            graph.add_edge(a, b, transport=problem.transport_time(source, target), flows=[])
        flow = f"{problem.operations[p.before].name}->{problem.operations[p.after].name}"
        graph.edges[a, b]["flows"].append(flow)
    return graph


def line_graph_to_json(graph: networkx.DiGraph[str]) -> dict[str, list[dict[str, object]]]:
    """Plain JSON-ready dict.

    ``{"nodes": [{"machine", "operations"}], "edges": [{"from", "to", "transport", "flows"}]}``
    """
    return {
        "nodes": [
            {"machine": name, "operations": list(data["operations"])}
            for name, data in graph.nodes(data=True)
        ],
        "edges": [
            {"from": a, "to": b, "transport": data["transport"], "flows": list(data["flows"])}
            for a, b, data in graph.edges(data=True)
        ],
    }


def line_graph_to_dot(graph: networkx.DiGraph[str]) -> str:
    """Graphviz DOT text: machines as boxes listing operations, edges labelled with flows."""
    title = graph.graph.get("job", "line")
    lines = [f"digraph {_quote(title)} {{", "  rankdir=LR;", "  node [shape=box];"]
    for name, data in graph.nodes(data=True):
        label = "\n".join([name, *data["operations"]])
        lines.append(f"  {_quote(name)} [label={_quote(label)}];")
    for a, b, data in graph.edges(data=True):
        label = "\n".join([f"{data['transport']} s", *data["flows"]])
        lines.append(f"  {_quote(a)} -> {_quote(b)} [label={_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    """A DOT double-quoted string; newlines become DOT's centred line break ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
