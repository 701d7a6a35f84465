"""The numbers of MTP's service interface (VDI/VDE/NAMUR 2658-4:2022, Table 14), as data.

A service's ``StateCur`` and the command words (``CommandOp``, ``CommandInt``,
``CommandExt``) are 32-bit words with exactly one bit set; ``CommandEn`` sets one bit
per command the service accepts now. The same bit layout is what MTPPy and the other
open POL/PEA implementations use.

``VUnit`` of a parameter is an integer unit code (2658-3, "frequently used units"); the
few we translate into pnp's unit texts are below, any other code is kept as ``#<code>``.
"""

from __future__ import annotations

import enum


class ServiceState(enum.IntEnum):
    """``StateCur``: the 16 states of an MTP service."""

    STOPPED = 4
    STARTING = 8
    IDLE = 16
    PAUSED = 32
    EXECUTE = 64
    STOPPING = 128
    ABORTING = 256
    ABORTED = 512
    HOLDING = 1024
    HELD = 2048
    UNHOLDING = 4096
    PAUSING = 8192
    RESUMING = 16384
    RESETTING = 32768
    COMPLETING = 65536
    COMPLETED = 131072

    @property
    def label(self) -> str:
        return self.name.capitalize()


class ServiceCommand(enum.IntEnum):
    """A command word's one bit (and the same bit of ``CommandEn``)."""

    RESET = 2
    START = 4
    STOP = 8
    HOLD = 16
    UNHOLD = 32
    PAUSE = 64
    RESUME = 128
    ABORT = 256
    RESTART = 512
    COMPLETE = 1024


# States a service has finished in: Reset takes each back to Idle.
FINISHED = frozenset({ServiceState.COMPLETED, ServiceState.STOPPED, ServiceState.ABORTED})
# States the service ended in without doing its work.
FAILED = frozenset(
    {
        ServiceState.STOPPING,
        ServiceState.STOPPED,
        ServiceState.ABORTING,
        ServiceState.ABORTED,
    }
)


def state_of(word: int) -> ServiceState | None:
    """The state a ``StateCur`` word names; None for a word the standard does not define."""
    try:
        return ServiceState(word)
    except ValueError:
        return None


def command_enabled(command_en: int, command: ServiceCommand) -> bool:
    return bool(command_en & command)


# 2658-3's unit codes that the pnp catalog's unit texts have a name for.
UNIT_TEXTS: dict[int, str] = {
    1000: "K",
    1001: "degC",
    1010: "m",
    1013: "mm",
    1038: "L",
    1054: "s",
    1058: "min",
    1059: "h",
    1061: "m/s",
    1077: "Hz",
    1083: "1/min",
    1088: "kg",
    1105: "g/L",
    1130: "Pa",
    1133: "kPa",
    1137: "bar",
    1138: "mbar",
    1190: "kW",
    1342: "%",
    1349: "m3/h",
    1353: "L/h",
    1384: "mol",
    1422: "pH",
}


def unit_text(code: int) -> str:
    """pnp's unit text for a 2658-3 unit code: "" for none (0), ``#<code>`` if unknown."""
    if code == 0:
        return ""
    return UNIT_TEXTS.get(code, f"#{code}")
