"""Factory layouts: dock and link rules, lookups and shortest transport times."""

from __future__ import annotations

import pytest

from pnp.orchestrator.domain.layout import Layout, load_layout
from pnp.orchestrator.errors import BadInput, NotFound


def layout_text(docks: list[str], links: list[tuple[str, str, int]]) -> str:
    lines = ["apiVersion: pnp/v1", "kind: Layout", "metadata: {name: hall}", "spec:", "  docks:"]
    for index, dock in enumerate(docks):
        position = f"{{x_m: {12 * index}, y_m: 0}}"
        lines.append(f"    - {{id: {dock}, position: {position}, limits: {{power_kw: 80}}}}")
    lines.append("  links:" if links else "  links: []")
    lines += [f"    - {{from: {a}, to: {b}, seconds: {s}}}" for a, b, s in links]
    return "\n".join(lines) + "\n"


def problems(text: str) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_layout(text, "hall.yaml")
    return [str(violation) for violation in caught.value.violations]


def chain() -> Layout:
    # A - B - C - D in a row, plus a slow shortcut A - D.
    links = [("A", "B", 10), ("B", "C", 20), ("C", "D", 30), ("A", "D", 100)]
    return load_layout(layout_text(["A", "B", "C", "D"], links), "hall.yaml")


def test_transport_seconds_is_the_shortest_route_both_ways():
    layout = chain()
    assert layout.transport_seconds("A", "C") == 30
    assert layout.transport_seconds("A", "D") == 60  # A-B-C-D beats the direct 100 s link
    assert layout.transport_seconds("D", "A") == 60
    assert layout.transport_seconds("B", "B") == 0


def test_a_single_dock_needs_no_links():
    layout = load_layout(layout_text(["solo"], []), "hall.yaml")
    assert layout.transport_seconds("solo", "solo") == 0


def test_limits_default_air_and_water_to_zero():
    limits = chain().dock("A").limits
    assert (limits.power_kw, limits.air_nl_per_min, limits.water_l_per_min) == (80, 0, 0)


def test_unknown_docks_are_not_found_with_the_known_ones_named():
    layout = chain()
    with pytest.raises(NotFound, match="no dock 'Z' in layout hall; known docks: A, B, C, D"):
        layout.dock("Z")
    with pytest.raises(NotFound, match="no dock 'Z'"):
        layout.transport_seconds("A", "Z")


def test_a_link_to_an_unknown_dock_names_it():
    text = layout_text(["A1", "A2"], [("A1", "A2", 10), ("A2", "A22", 10), ("Q", "A1", 5)])
    assert problems(text) == [
        "hall.yaml:10: link names unknown dock 'A22'; did you mean 'A2'?",
        "hall.yaml:11: link names unknown dock 'Q' (docks: A1, A2)",
    ]


def test_disconnected_docks_are_named():
    text = layout_text(["A", "B", "C", "D", "E"], [("A", "B", 10), ("C", "D", 10)])
    assert problems(text) == [
        "hall.yaml:8: docks C, D cannot be reached from A: add a transport link",
        "hall.yaml:10: dock E cannot be reached from A: add a transport link",
    ]


def test_duplicate_docks_self_links_and_duplicate_links_are_refused():
    text = layout_text(["A", "B", "A"], [("A", "B", 10), ("B", "A", 12), ("B", "B", 1)])
    assert problems(text) == [
        "hall.yaml:8: duplicate dock id 'A' (also docks[0])",
        "hall.yaml:11: duplicate link between B and A (also links[0])",
        "hall.yaml:12: link from dock B to itself",
    ]


def test_field_errors_use_the_same_file_line_reporting():
    text = layout_text(["A", "B"], [("A", "B", -5)]).replace("power_kw: 80", "power_kw: .inf", 1)
    text = text.replace("kind: Layout", "kind: Layout\nextra: 1")
    assert problems(text) == [
        "hall.yaml:3: unknown key 'extra' (allowed: apiVersion, kind, metadata, spec)",
        "hall.yaml:7: power_kw must be a finite number, got inf",
        "hall.yaml:10: seconds must be at least 0, got -5",
    ]


def test_a_bad_dock_id_says_the_rule():
    assert problems(layout_text(["A 1"], [])) == [
        "hall.yaml:6: 'A 1' is not a valid dock id: use letters, digits, '-' and '_' (at most 32), "
        "starting with a letter or digit"
    ]
