"""Reading our SVG and PNG pictures back in tests."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def svg_ids(path: Path) -> list[str]:
    """Every element id in the SVG (matplotlib writes each artist's gid as its id)."""
    root = ElementTree.parse(path).getroot()
    return [element.get("id") for element in root.iter() if element.get("id") is not None]


def svg_element(path: Path, element_id: str) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    for element in root.iter():
        if element.get("id") == element_id:
            return element
    raise AssertionError(f"no element {element_id!r} in {path}")


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels, after checking the PNG signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    from matplotlib import image

    height, width = image.imread(path).shape[:2]
    return width, height
