"""Reading a CAEX (AutomationML) file safely into a small tree that knows its lines.

An MTP manifest comes from a module vendor: untrusted input. It is read with the
standard library's expat parser, hardened the way defusedxml hardens it: no DTD (so no
entity declarations, no "billion laughs"), no external entities, and caps on the file's
size, the element count and the nesting depth. Every element keeps the line it starts
on, so a problem can be reported as ``file:line``.

Namespaces are dropped: CAEX 2.15 files (MTP manifest 1.0.0) have none, CAEX 3.0 files
(manifest 1.1.0) put everything in ``http://www.dke.de/CAEX``; the MTP reader matches
types by their class paths, never by namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

MAX_BYTES = 32 * 1024 * 1024
MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 64


class CaexError(ValueError):
    """The file is not a readable CAEX document (or, in ``ManifestError``, not a usable
    MTP manifest). ``line`` is 0 when no line applies; ``element`` names the element
    (``InternalElement "Ferment"``) when one does."""

    def __init__(self, path: str, line: int, message: str, element: str = "") -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {element}: {message}" if element else f"{where}: {message}")
        self.path = path
        self.line = line
        self.message = message
        self.element = element

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class Element:
    tag: str
    attributes: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def get(self, name: str, default: str = "") -> str:
        return self.attributes.get(name, default)

    def find(self, tag: str) -> Element | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Element]:
        return [c for c in self.children if c.tag == tag]

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        """This element and all below it, in document order (optionally one tag only)."""
        stack = [self]
        while stack:
            element = stack.pop()
            if tag is None or element.tag == tag:
                yield element
            stack.extend(reversed(element.children))

    def child_text(self, tag: str) -> str | None:
        child = self.find(tag)
        return None if child is None else child.text.strip()


def read_caex(path: Path, *, max_bytes: int = MAX_BYTES) -> Element:
    """The document element of the CAEX file at ``path`` (a ``CAEXFile``)."""
    shown = str(path)
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise CaexError(shown, 0, f"cannot read the file: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise CaexError(shown, 0, f"the file is larger than {max_bytes // (1024 * 1024)} MiB")
    root = parse_caex(data, shown)
    if root.tag != "CAEXFile":
        raise CaexError(shown, root.line, f"expected a <CAEXFile> document, found <{root.tag}>")
    return root


def parse_caex(data: bytes, shown: str) -> Element:
    builder = _TreeBuilder(shown)
    parser = expat.ParserCreate()
    builder.attach(parser)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise CaexError(
            shown, error.lineno, f"not well-formed XML: {_expat_reason(error)}"
        ) from None
    if builder.root is None:
        raise CaexError(shown, 0, "the file holds no XML element")
    return builder.root


def _expat_reason(error: expat.ExpatError) -> str:
    return expat.ErrorString(error.code) or str(error)


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _TreeBuilder:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.root: Element | None = None
        self._stack: list[Element] = []
        self._count = 0
        self._parser: expat.XMLParserType | None = None

    def attach(self, parser: expat.XMLParserType) -> None:
        self._parser = parser
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_external

    def _line(self) -> int:
        return self._parser.CurrentLineNumber if self._parser is not None else 0

    def _fail(self, message: str) -> CaexError:
        return CaexError(self.shown, self._line(), message)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self._count += 1
        if self._count > MAX_ELEMENTS:
            raise self._fail(f"more than {MAX_ELEMENTS} elements")
        if len(self._stack) >= MAX_DEPTH:
            raise self._fail(f"elements nested deeper than {MAX_DEPTH}")
        element = Element(
            _local(name),
            {_local(k): v for k, v in attributes.items() if not k.startswith("xmlns")},
            self._line(),
        )
        if self._stack:
            self._stack[-1].children.append(element)
        else:
            self.root = element
        self._stack.append(element)

    def _end(self, _name: str) -> None:
        self._stack.pop()

    def _text(self, data: str) -> None:
        if self._stack:
            self._stack[-1].text += data

    def _refuse_doctype(self, *_args: object) -> None:
        raise self._fail("a DOCTYPE is not allowed in a manifest (entities are refused)")

    def _refuse_entity(self, *_args: object) -> None:
        raise self._fail("entity declarations are not allowed in a manifest")

    def _refuse_external(self, *_args: object) -> int:
        raise self._fail("external entities are not allowed in a manifest")
