"""Which kind of picture a file name asks for, decided by its suffix, and writing it safely."""

from __future__ import annotations

import enum
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pnp.orchestrator.errors import BadInput, Violation


class PictureFormat(enum.Enum):
    HTML = ".html"  # an interactive page (plotly, its JavaScript inline: works offline)
    SVG = ".svg"  # a vector picture (matplotlib)
    PNG = ".png"  # a bitmap (matplotlib)


SUFFIXES = ", ".join(f.value for f in PictureFormat)


def picture_format(path: str | Path, option: str) -> PictureFormat:
    """The format ``path`` asks for; ``BadInput`` naming ``option`` for any other suffix."""
    suffix = Path(path).suffix.lower()
    for candidate in PictureFormat:
        if suffix == candidate.value:
            return candidate
    raise BadInput(
        f"{option} {path}: cannot tell the picture format from {suffix or 'no suffix'!r}; "
        f"use one of {SUFFIXES}",
        [Violation(option, f"{path}: the file name must end in one of {SUFFIXES}")],
    )


def write_atomically(path: str | Path, write: Callable[[Path], None], option: str) -> None:
    """Calls ``write(temporary)`` next to ``path`` and then moves it into place, so a
    failure never leaves a half-written picture behind."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent or Path(".")
        )
    except OSError as error:
        raise _unwritable(target, error, option) from None
    os.close(handle)
    try:
        # mkstemp makes the file private; a picture is for sharing, like any file we write.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        write(Path(temporary))
        os.replace(temporary, target)
    except OSError as error:
        raise _unwritable(target, error, option) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _unwritable(target: Path, error: OSError, option: str) -> BadInput:
    reason = error.strerror or str(error)
    return BadInput(
        f"cannot write {target}: {reason}", [Violation(option, f"cannot write {target}: {reason}")]
    )
