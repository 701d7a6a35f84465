"""Running the real `pnp` console script as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PNP = str(Path(sys.executable).parent / "pnp")


def pnp(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PNP, *args], capture_output=True, text=True, timeout=timeout, **kwargs)
