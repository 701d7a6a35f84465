"""Reading a replica's log: which tracebacks in it are failures."""

from __future__ import annotations

# A deposed replica's service loops (event writer, executor, plan saver) log each write
# the fence refused with its traceback; a transaction a freeze left open is ended by the
# server, which the woken client sees as one of the last two.
EXPECTED = (
    "errors.Deposed",
    "idle-in-transaction timeout",
    "server closed the connection unexpectedly",
)


def unexpected_tracebacks(stderr: str) -> list[str]:
    """Tracebacks in a replica's log other than those of writes refused after it was
    deposed."""
    return [
        chunk
        for chunk in stderr.split("Traceback (most recent call last):")[1:]
        if not any(reason in chunk for reason in EXPECTED)
    ]
