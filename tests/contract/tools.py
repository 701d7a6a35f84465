"""Where the third-party contract tools are (installed by `make test` from tools/buf)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUF = REPO / "tools" / "buf" / "node_modules" / ".bin" / "buf"


def buf() -> str:
    if BUF.exists():
        return str(BUF)
    found = shutil.which("buf")
    if found is None:
        pytest.fail("buf is missing: run `make test` (it runs `npm install` in tools/buf)")
    return found
