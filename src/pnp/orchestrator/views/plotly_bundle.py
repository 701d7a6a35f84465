"""plotly.js once per folder, beside the pages that use it, instead of inside each.

An interactive chart page needs plotly.js (4.7 MB). Inlined, a four-bar Gantt chart is
a 4.8 MB file, and a folder of them repeats it in every one. So each page refers to
``plotly-<version>.min.js`` in its own folder, written there once (and never replaced:
the version is in the name, so pages made by another pnp keep theirs). The pages
still open offline, straight from the disk: copy the script along with them.
"""

from __future__ import annotations

import os
from pathlib import Path


def bundle_name() -> str:
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


def ensure_bundle(folder: Path) -> str:
    """Writes plotly.js into ``folder`` unless it is there; returns its file name, for
    a page in that folder to refer to."""
    from plotly.offline import get_plotlyjs

    name = bundle_name()
    target = folder / name
    if not target.is_file():
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        temporary.write_text(get_plotlyjs(), encoding="utf-8")
        os.replace(temporary, target)  # two writers at once both write the same file
    return name
