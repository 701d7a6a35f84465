"""Headless Chromium for tests: open a page, let its JavaScript run, return the DOM.

Skips the calling test (with the reason) when no Chromium is installed; `make test`
installs Debian's where it can. Chromium's stderr goes to a file, never a pipe, so its
chatter can never block it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip("no Chromium installed (apt-get install chromium, or `make test` as root)")


def rendered_dom(page: Path, scratch: Path, budget_ms: int = 10_000) -> str:
    """The page's DOM after its scripts ran (virtual time, so no sleeping)."""
    profile = scratch / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    log = scratch / "chromium-stderr.txt"
    with log.open("w") as stderr:
        done = subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=90,
        )
    assert done.returncode == 0, log.read_text()[-2000:]
    return done.stdout


def drawn_operation_ids(dom: str) -> list[str]:
    """The identifiers our page's script put on each rendered plotly bar."""
    return re.findall(r'data-operation-id="([^"]*)"', dom)


def rendered_bar_count(dom: str) -> int:
    """Bars plotly drew (each a ``g.point`` holding a path), tagged or not."""
    return len(re.findall(r'<g class="point"', dom))
