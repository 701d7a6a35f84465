"""Fuzzing: whatever text arrives, loading a recipe either succeeds or raises BadInput.

No other exception, and every violation is located in the file (design 8: never a
traceback for bad input).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pnp.orchestrator.domain.layout import load_layout
from pnp.orchestrator.domain.recipe_loader import load_recipe, load_recipe_file
from pnp.orchestrator.errors import BadInput

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LOCATION = re.compile(r"^fuzz\.yaml:[1-9][0-9]*$")

VALID: dict[str, Any] = {
    "apiVersion": "pnp/v1",
    "kind": "Order",
    "metadata": {"name": "fuzz", "labels": {"customer": "anna"}},
    "spec": {
        "product": "frame",
        "quantity": 4,
        "due": "2026-12-01T16:00:00Z",
        "priority": 2,
        "lotSize": 2,
        "steps": [
            {"id": "cut", "capability": "cutting.laser", "parameters": {"thickness_mm": 3}},
            {"id": "weld", "capability": "joining.welding", "after": ["cut"]},
        ],
    },
}
WORDS = [*VALID, *VALID["spec"], "id", "capability", "parameters", "after", "labels", "name"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["cut", "weld", "cutting.laser", "pnp/v1", "Order", "2026-12-01", ".nan"])
)
keys = st.sampled_from(WORDS) | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
yamlish = st.text(alphabet="-:[]{}&*!|>'\"%@`#,?.~ \n\tab01", max_size=200)


def assert_loads_or_refuses(text: str) -> None:
    try:
        load_recipe(text, "fuzz.yaml")
    except BadInput as error:
        assert error.violations, "a refusal says what is wrong"
        for violation in error.violations:
            assert LOCATION.match(violation.location), violation
            assert violation.description


def mutated(document: Any, path: list[int], value: Any) -> Any:
    """``document`` with the node reached by walking ``path`` replaced by ``value``."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    children = list(document.items()) if isinstance(document, dict) else list(enumerate(document))
    key, child = children[path[0] % len(children)]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = mutated(child, path[1:], value)
    return copy


@FUZZ
@given(st.text(max_size=500))
def test_random_text_never_escapes_as_anything_but_bad_input(text: str):
    assert_loads_or_refuses(text)


@FUZZ
@given(yamlish)
def test_yaml_punctuation_soup_never_escapes_as_anything_but_bad_input(text: str):
    assert_loads_or_refuses(text)


@FUZZ
@given(values)
def test_random_yaml_structures_never_escape_as_anything_but_bad_input(data: Any):
    assert_loads_or_refuses(yaml.safe_dump(data, sort_keys=False))


@FUZZ
@given(st.lists(st.integers(0, 20), max_size=6), values)
def test_a_valid_recipe_with_one_node_replaced_loads_or_is_refused(path: list[int], value: Any):
    assert_loads_or_refuses(yaml.safe_dump(mutated(VALID, path, value), sort_keys=False))


@FUZZ
@given(values)
def test_random_layouts_never_escape_as_anything_but_bad_input(data: Any):
    text = yaml.safe_dump({"apiVersion": "pnp/v1", "kind": "Layout", "spec": data})
    try:
        load_layout(text, "fuzz.yaml")
    except BadInput as error:
        assert all(LOCATION.match(violation.location) for violation in error.violations)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_in_a_file_never_escape_as_anything_but_bad_input(raw: bytes):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_bytes(raw)
        try:
            load_recipe_file(path)
        except BadInput as error:
            assert all(v.location.startswith(str(path)) for v in error.violations)


def test_the_unmutated_fuzz_recipe_is_valid():
    assert load_recipe(yaml.safe_dump(VALID, sort_keys=False), "fuzz.yaml").lot_sizes() == [2, 2]
