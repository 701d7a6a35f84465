"""Safe YAML reading for the files customers and planners write (recipes, layouts).

Turns text into plain Python data and remembers the line of every node, so a later
check (pydantic, see ``recipe_loader``) can say ``file.yaml:14: what is wrong``.
Everything hostile or ambiguous is refused here with ``BadInput`` before any value
is built: oversize input, unsupported tags (``!!python/object``...), alias bombs,
deep nesting, duplicate or non-string keys, zero or several documents.

The node tree is composed with ``yaml.SafeLoader`` and walked once; only when the walk
is clean is it constructed, so an alias bomb is refused before it is expanded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pnp.orchestrator.errors import BadInput, Violation

DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_NODES = 20_000
DEFAULT_MAX_DEPTH = 40

PathKey = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("null", "bool", "int", "float", "str", "timestamp")}
_STR_TAG = _CORE + "str"


@dataclass(frozen=True)
class YamlDocument:
    """One parsed document: its plain data and where each node was written."""

    data: Any
    source: str
    lines: dict[PathKey, int] = field(repr=False)

    def line_of(self, path: Iterable[str | int]) -> int:
        """The 1-based line of the deepest node on ``path`` that exists.

        A missing field thus reports the line of the mapping that lacks it.
        """
        key = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def location_of(self, path: Iterable[str | int]) -> str:
        return f"{self.source}:{self.line_of(path)}"


def format_path(path: Iterable[str | int]) -> str:
    """``("spec", "steps", 2, "id")`` -> ``"spec.steps[2].id"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def shorten(value: object, limit: int = 40) -> str:
    """``repr`` of a value for a message, cut to about ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_text_capped(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a UTF-8 text file of at most ``max_bytes``, or refuse with ``BadInput``."""
    where = str(path)
    try:
        with path.open("rb") as handle:
            # Read one byte past the cap: enough to know it is too big, never more.
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise _refuse(where, "no such file") from None
    except IsADirectoryError:
        raise _refuse(where, "is a directory, not a file") from None
    except OSError as error:
        raise _refuse(where, f"cannot read the file: {error.strerror or error}") from None
    if len(raw) > max_bytes:
        size = len(raw)
        with contextlib.suppress(OSError):
            size = path.stat().st_size
        raise _refuse(f"{where}:1", _too_big(size, max_bytes))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start]
        raise _refuse(
            f"{where}:{line}",
            f"the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
        ) from None


def load_yaml_document(
    text: str,
    source: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> YamlDocument:
    """Parse exactly one YAML mapping document safely; refuse anything else."""
    # Characters are at least one byte each, so a long text is refused unencoded.
    size = len(text) if len(text) > max_bytes else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise _refuse(f"{source}:1", _too_big(size, max_bytes))
    try:
        loader = _LimitedLoader(text, source, max_depth, max_nodes)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        description = f"character U+{error.character:04X} is not allowed in YAML"
        raise _refuse(f"{source}:{line}", description) from None
    try:
        root = _single_document(loader, source)
        walk = _Walk(loader, source, max_nodes, max_depth)
        walk.visit(root, (), ancestors=())
        if walk.violations:
            raise BadInput(
                f"{source}: {len(walk.violations)} problem(s) in the YAML", walk.violations
            )
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise _refuse(f"{source}:{line}", _syntax_message(error)) from None
    except yaml.YAMLError as error:  # unmarked: should not happen after the walk
        raise _refuse(f"{source}:1", f"cannot read the YAML: {error}") from None
    finally:
        loader.dispose()
    return YamlDocument(data=data, source=source, lines=walk.lines)


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader whose (recursive) composer stops at a depth and a node count.

    Both are checked while composing, so a huge or deep file is refused early, before
    the rest of it is parsed and without exhausting the Python stack.
    """

    def __init__(self, text: str, source: str, max_depth: int, max_nodes: int) -> None:
        super().__init__(text)
        self._source = source
        self._depth = 0
        self._nodes = 0
        self._max_depth = max_depth
        self._max_nodes = max_nodes

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > self._max_depth:
                self._refuse(f"nested more than {self._max_depth} levels deep")
            if self._nodes > self._max_nodes:
                self._refuse(f"the document has more than {self._max_nodes} values")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _refuse(self, description: str) -> None:
        # PyYAML's stubs leave Parser.peek_event unannotated (it returns an Event).
        event = self.peek_event()  # type: ignore[no-untyped-call]
        where = f"{self._source}:{event.start_mark.line + 1}"
        raise _refuse(where, description)


def _single_document(loader: _LimitedLoader, source: str) -> MappingNode:
    if not loader.check_node():
        raise _refuse(f"{source}:1", "the document is empty; expected a mapping")
    root = loader.get_node()
    assert root is not None  # check_node() said a node follows
    if loader.check_node():
        # PyYAML's stubs leave Parser.peek_event unannotated (it returns an Event).
        line = loader.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
        raise _refuse(
            f"{source}:{line}",
            "a second YAML document starts here; a file holds exactly one",
        )
    line = root.start_mark.line + 1
    if isinstance(root, ScalarNode) and root.tag == _CORE + "null":
        raise _refuse(f"{source}:{line}", "the document is empty; expected a mapping")
    if not isinstance(root, MappingNode):
        got = "a list" if isinstance(root, SequenceNode) else shorten(root.value)
        raise _refuse(
            f"{source}:{line}", f"the top level must be a mapping (key: value), got {got}"
        )
    return root


class _Walk:
    """One pass over the composed tree: lines, limits, tags and keys."""

    def __init__(
        self, loader: yaml.SafeLoader, source: str, max_nodes: int, max_depth: int
    ) -> None:
        self.loader = loader
        self.source = source
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.visits = 0
        self.lines: dict[PathKey, int] = {}
        self.violations: list[Violation] = []

    def visit(self, node: Node, path: PathKey, ancestors: tuple[int, ...]) -> None:
        # Aliases return the very same node object, so counting visits (not nodes)
        # measures the size the data would have once expanded.
        self.visits += 1
        if self.visits > self.max_nodes:
            self._stop(node, f"aliases expand to more than {self.max_nodes} values")
        if id(node) in ancestors:
            self._stop(node, "an alias refers to a node that contains it (recursive alias)")
        if len(ancestors) >= self.max_depth:
            self._stop(node, f"nested more than {self.max_depth} levels deep")
        self.lines.setdefault(path, node.start_mark.line + 1)
        inner = (*ancestors, id(node))
        if isinstance(node, MappingNode):
            if self._tag_ok(node, {_CORE + "map"}, path):
                self._visit_mapping(node, path, inner)
        elif isinstance(node, SequenceNode):
            if self._tag_ok(node, {_CORE + "seq"}, path):
                for index, item in enumerate(node.value):
                    self.visit(item, (*path, index), inner)
        elif self._tag_ok(node, _SCALAR_TAGS, path):
            self._construct_scalar(node, path)

    def _visit_mapping(self, node: MappingNode, path: PathKey, inner: tuple[int, ...]) -> None:
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            self.visits += 1
            line = key_node.start_mark.line + 1
            key = self._string_key(key_node, path)
            if key is None:
                continue
            if key in first_line:
                self._add(
                    (*path, key),
                    line,
                    f"duplicate key {shorten(key)} (first at line {first_line[key]}, again at line "
                    f"{line}); YAML would silently keep only the last one",
                )
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            self.visit(value_node, (*path, key), inner)

    def _string_key(self, key_node: Node, path: PathKey) -> str | None:
        line = key_node.start_mark.line + 1
        if key_node.tag == _CORE + "merge":
            self._add(path, line, "merge keys ('<<') are not supported; write the keys out")
            return None
        if not isinstance(key_node, ScalarNode) or key_node.tag != _STR_TAG:
            if isinstance(key_node, ScalarNode):
                kind = key_node.tag.rsplit(":", 1)[-1]
                text = f"mapping key {key_node.value[:40]} reads as {kind}, not text; quote it"
            else:
                text = "a list or mapping cannot be a mapping key"
            self._add(path, line, text)
            return None
        key: str = key_node.value
        return key

    def _tag_ok(self, node: Node, allowed: set[str], path: PathKey) -> bool:
        if node.tag in allowed:
            return True
        shown = "!!" + node.tag[len(_CORE) :] if node.tag.startswith(_CORE) else node.tag
        self._add(path, node.start_mark.line + 1, f"unsupported tag {shorten(shown)}")
        return False

    def _construct_scalar(self, node: Node, path: PathKey) -> None:
        # Built now (and cached by the loader) so a bad date or an over-long integer
        # is reported on its line rather than failing the whole construction.
        try:
            self.loader.construct_object(node)
        except (ValueError, OverflowError) as error:
            reason = str(error).split(":")[0]
            self._add(
                path, node.start_mark.line + 1, f"cannot read {shorten(node.value)}: {reason}"
            )

    def _add(self, path: PathKey, line: int, description: str) -> None:
        self.violations.append(Violation(format_path(path), description, f"{self.source}:{line}"))

    def _stop(self, node: Node, description: str) -> None:
        line = node.start_mark.line + 1
        raise _refuse(f"{self.source}:{line}", description)


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    message = f"YAML syntax error: {error.problem or 'invalid YAML'}"
    if error.context:
        # The context ("while parsing a flow mapping") often starts lines earlier.
        mark, problem = error.context_mark, error.problem_mark
        started = (
            f" started on line {mark.line + 1}"
            if mark and problem and mark.line != problem.line
            else ""
        )
        message += f" ({error.context}{started})"
    return message


def _too_big(size: int, max_bytes: int) -> str:
    return f"the input is {size} bytes, over the {max_bytes}-byte limit"


def _refuse(location: str, description: str) -> BadInput:
    return BadInput(f"{location}: {description}", [Violation("", description, location)])
