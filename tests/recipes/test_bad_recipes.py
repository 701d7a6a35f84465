"""Every bad recipe in tests/recipes/bad/ is refused with one `file:line: message`.

The table in bad/expected.json is the specification (the CLI tests reuse it): the
line the error is reported on and a fragment of its message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pnp.orchestrator.domain.recipe_loader import load_recipe, load_recipe_file
from pnp.orchestrator.errors import BadInput

BAD = Path(__file__).resolve().parent / "bad"
EXPECTED: dict[str, dict] = {
    name: entry
    for name, entry in json.loads((BAD / "expected.json").read_text()).items()
    if not name.startswith("_")
}
COMMITTED = sorted(name for name, entry in EXPECTED.items() if "generated" not in entry)

VALID = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: padded}
spec:
  product: city-bike-frame
  quantity: 4
  steps:
    - {id: cut, capability: cutting.laser}
"""


def generate_oversize(path: Path) -> Path:
    """The oversize recipe of expected.json: valid YAML, 300000 bytes."""
    filler = "# padding to make the file too big\n"
    text = VALID + filler * ((300_000 - len(VALID)) // len(filler) + 1)
    path.write_text(text[:300_000])
    return path


def test_every_bad_file_is_in_the_table_and_every_entry_exists():
    on_disk = {path.name for path in BAD.glob("*.yaml")}
    assert on_disk == set(COMMITTED)


@pytest.mark.parametrize("name", COMMITTED)
def test_bad_recipe_is_refused_at_its_line(name: str):
    expected = EXPECTED[name]
    path = BAD / name
    with pytest.raises(BadInput) as caught:
        load_recipe_file(path)
    [violation] = caught.value.violations
    assert violation.location == f"{path}:{expected['line']}"
    assert expected["message"] in violation.description
    assert str(caught.value) == f"{path}:{expected['line']}: {violation.description}"
    assert "Traceback" not in str(caught.value)


def test_oversize_recipe_is_refused_before_parsing(tmp_path: Path):
    expected = EXPECTED["oversize.yaml"]
    path = generate_oversize(tmp_path / "oversize.yaml")
    with pytest.raises(BadInput) as caught:
        load_recipe_file(path)
    [violation] = caught.value.violations
    assert violation.location == f"{path}:{expected['line']}"
    assert expected["message"] in violation.description
    assert "300000 bytes" in violation.description


def test_oversize_text_is_refused_too():
    with pytest.raises(BadInput, match="over the 262144-byte limit"):
        load_recipe(VALID + "#" * 300_000, "big.yaml")


def test_the_source_is_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(BAD)
    with pytest.raises(BadInput) as caught:
        load_recipe_file("quantity-negative.yaml")
    assert str(caught.value) == "quantity-negative.yaml:8: quantity must be at least 1, got -3"


def test_a_missing_file_is_bad_input_naming_the_path(tmp_path: Path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(BadInput) as caught:
        load_recipe_file(missing)
    assert str(caught.value) == f"{missing}: no such file"
