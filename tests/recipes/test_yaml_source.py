"""Safe YAML reading: lines for every node, and refusals for hostile or ambiguous input."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pnp.orchestrator.domain.yaml_source import format_path, load_yaml_document, read_text_capped
from pnp.orchestrator.errors import BadInput

DOC = """\
# a comment
name: x
spec:
  steps:
    - id: cut
      after: [a, b]
    - id: weld
  due: 2026-12-01T16:00:00Z
"""


def refusal(text: str, **limits: int) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_yaml_document(text, "f.yaml", **limits)
    return [str(violation) for violation in caught.value.violations]


def test_data_is_plain_python():
    document = load_yaml_document(DOC, "f.yaml")
    assert document.data == {
        "name": "x",
        "spec": {
            "steps": [{"id": "cut", "after": ["a", "b"]}, {"id": "weld"}],
            "due": datetime(2026, 12, 1, 16, tzinfo=UTC),
        },
    }


def test_line_of_finds_each_node_and_the_parent_of_a_missing_one():
    document = load_yaml_document(DOC, "f.yaml")
    assert document.line_of(("name",)) == 2
    assert document.line_of(("spec", "steps", 1)) == 7
    assert document.line_of(("spec", "steps", 0, "after", 1)) == 6
    assert document.line_of(("spec", "steps", 1, "capability")) == 7
    assert document.line_of(("spec", "nope", "deeper")) == 3
    assert document.location_of(("spec", "due")) == "f.yaml:8"


def test_format_path_writes_indexes_in_brackets():
    assert format_path(("spec", "steps", 2, "capability")) == "spec.steps[2].capability"
    assert format_path(()) == ""


def test_all_tag_and_key_problems_are_collected():
    text = "a: !!python/object:os.system {}\nb: !custom x\n1: one\nc: 2\nc: 3\n<<: {d: 1}\n"
    assert refusal(text) == [
        "f.yaml:1: unsupported tag '!!python/object:os.system'",
        "f.yaml:2: unsupported tag '!custom'",
        "f.yaml:3: mapping key 1 reads as int, not text; quote it",
        "f.yaml:5: duplicate key 'c' (first at line 4, again at line 5); YAML would silently "
        "keep only the last one",
        "f.yaml:6: merge keys ('<<') are not supported; write the keys out",
    ]


def test_safe_tags_that_build_other_types_are_refused():
    assert refusal("a: !!set {x}\nb: !!binary aGk=\n") == [
        "f.yaml:1: unsupported tag '!!set'",
        "f.yaml:2: unsupported tag '!!binary'",
    ]


def test_alias_expansion_is_capped_before_anything_is_built():
    text = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    assert load_yaml_document(text, "f.yaml", max_nodes=200).data["c"][3][3] == ["x"] * 4
    assert refusal(text, max_nodes=50) == ["f.yaml:1: aliases expand to more than 50 values"]


def test_a_document_with_too_many_values_is_refused_while_parsing():
    assert refusal("a: [" + "1, " * 100 + "1]\n", max_nodes=50) == [
        "f.yaml:1: the document has more than 50 values"
    ]


def test_a_recursive_alias_is_refused():
    assert refusal("a: &a [1, *a]\n") == [
        "f.yaml:1: an alias refers to a node that contains it (recursive alias)"
    ]


def test_deep_nesting_is_refused_without_recursion_errors():
    assert refusal("a: " + "[" * 5000 + "]" * 5000) == ["f.yaml:1: nested more than 40 levels deep"]


def test_values_python_cannot_build_are_reported_on_their_line():
    assert refusal("a: 1\nb: 2026-13-01\n") == [
        "f.yaml:2: cannot read '2026-13-01': month must be in 1..12"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "f.yaml:1: the document is empty; expected a mapping"),
        ("# only\n# comments\n", "f.yaml:1: the document is empty; expected a mapping"),
        ("~\n", "f.yaml:1: the document is empty; expected a mapping"),
        (
            "a: 1\n---\nb: 2\n",
            "f.yaml:2: a second YAML document starts here; a file holds exactly one",
        ),
        ("\n- a\n", "f.yaml:2: the top level must be a mapping (key: value), got a list"),
        ("just text\n", "f.yaml:1: the top level must be a mapping (key: value), got 'just text'"),
        ("a: 1\nb: \x07\n", "f.yaml:2: character U+0007 is not allowed in YAML"),
        (
            "a: [1\n",
            "f.yaml:2: YAML syntax error: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence started on line 1)",
        ),
        ("a: *nowhere\n", "f.yaml:1: YAML syntax error: found undefined alias 'nowhere'"),
    ],
)
def test_documents_that_are_not_one_mapping_are_refused(text: str, message: str):
    assert refusal(text) == [message]


def test_size_is_counted_in_utf8_bytes():
    text = "a: " + "é" * 60
    assert load_yaml_document(text, "f.yaml", max_bytes=123).data == {"a": "é" * 60}
    assert refusal(text, max_bytes=122) == [
        "f.yaml:1: the input is 123 bytes, over the 122-byte limit"
    ]


def test_read_text_capped_reads_utf8(tmp_path: Path):
    path = tmp_path / "r.yaml"
    path.write_text("a: é\n", encoding="utf-8")
    assert read_text_capped(path, 100) == "a: é\n"


def test_read_text_capped_refuses_a_huge_file_without_reading_it(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(2**40)  # a sparse terabyte: reading it whole would never finish
    with pytest.raises(BadInput) as caught:
        read_text_capped(path, 1024)
    assert str(caught.value) == f"{path}:1: the input is {2**40} bytes, over the 1024-byte limit"


def test_read_text_capped_names_the_line_of_a_non_utf8_byte(tmp_path: Path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(BadInput) as caught:
        read_text_capped(path, 100)
    assert (
        str(caught.value) == f"{path}:2: the file is not UTF-8 text (byte 0xe9); save it as UTF-8"
    )


def test_read_text_capped_turns_unreadable_paths_into_bad_input(tmp_path: Path):
    with pytest.raises(BadInput, match="is a directory"):
        read_text_capped(tmp_path, 100)
    if os.geteuid() != 0:  # root reads everything
        locked = tmp_path / "locked.yaml"
        locked.write_text("a: 1\n")
        locked.chmod(0)
        with pytest.raises(BadInput, match="cannot read the file: Permission denied"):
            read_text_capped(locked, 100)
