"""No two modules of the pnp namespace import each other, directly or round a loop.

A cycle is one idea split badly or two ideas tangled (STYLE: small files, one idea
each). Imports under ``if TYPE_CHECKING:`` count too: they are the same dependency,
only hidden from the interpreter.
"""

from __future__ import annotations

import grimp
import networkx as nx

PACKAGES = ("pnp.v1", "pnp.sdk", "pnp.scheduler", "pnp.orchestrator", "pnp.examples")


def _import_graph() -> nx.DiGraph:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    imports = nx.DiGraph()
    imports.add_nodes_from(graph.modules)
    imports.add_edges_from(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
    )
    return imports


def test_no_module_imports_itself_round_a_loop():
    cycles = [sorted(c) for c in nx.strongly_connected_components(_import_graph()) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def test_the_graph_covers_every_package():
    modules = set(_import_graph())
    for package in PACKAGES:
        assert package in modules, package
    assert len(modules) > 100  # every module, not only the packages
