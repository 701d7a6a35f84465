"""The pure core type-checks under `mypy --strict`, as part of the suite.

What is checked, and how strictly, is `[tool.mypy]` in pyproject.toml (its `files`
and the strict override); this runs it exactly as `make lint` does. Its cache
(.mypy_cache) makes a run after a small change take about a second.
"""

from __future__ import annotations

import subprocess
import sys

from tests.contract.tools import REPO


def test_the_pure_core_passes_mypy_strict():
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
