"""The cyclic garbage collector's pauses and the event loop's rounds in a process
started by a benchmark (``bench/registry.py --gc-log``).

Imported by the interpreter at start-up when this folder is on ``PYTHONPATH`` (Python
imports any ``sitecustomize`` it finds), and active only when ``PNP_BENCH_GC_LOG``
names a file. Each collection is timed from ``gc.callbacks``' start to its stop, and
every pause (process id, generation, seconds on the wall clock and of the thread's
CPU, the monotonic clock at its end) is written to that file as one JSON line, from a
daemon thread once a second, so the process measured does no file I/O inside a
collection. The CPU time is the collector's own work; the wall time adds whatever
preempted it (a loaded host). The event loop's rounds are written too, one line a
second (``_time_the_loop``). Child processes (the solver's) inherit the setting and
write to the same file, under their own pid. Benchmarks only.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import threading
import time

_path = os.environ.get("PNP_BENCH_GC_LOG")


def _install(path: str) -> None:
    started = [0.0, 0.0]
    # A deque, not a list under a lock: a collection may start in the flushing thread
    # itself, and its callback must never wait for a lock that thread holds.
    pending: collections.deque[tuple[int, float, float, float]] = collections.deque()

    def on_collection(phase: str, info: dict) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if phase == "start":
            started[0], started[1] = now, cpu
            return
        pause = (info["generation"], now - started[0], cpu - started[1], time.monotonic())
        pending.append(pause)

    def flush_every_second() -> None:
        pid = os.getpid()
        with open(path, "a", encoding="utf-8") as out:
            while True:
                time.sleep(1.0)
                while pending:
                    generation, seconds, cpu, at = pending.popleft()
                    pause = {"pid": pid, "gen": generation, "s": seconds, "cpu": cpu, "at": at}
                    out.write(json.dumps(pause) + "\n")
                out.flush()

    gc.callbacks.append(on_collection)
    threading.Thread(target=flush_every_second, name="gc-probe", daemon=True).start()


def _time_the_loop(path: str) -> None:
    """Each second of the event loop's life, as one JSON line: how many rounds it made
    (``_run_once``), how long the longest took and how long all took, less their waits
    in ``select``: a round runs every callback ready when it began, so a round as long
    as a second means every wake-up, a new call's included, waits that long."""
    import asyncio.base_events
    import selectors

    loop_class = asyncio.base_events.BaseEventLoop
    run_once, select = loop_class._run_once, selectors.EpollSelector.select
    waited = [0.0]
    second: dict[str, float] = {"at": 0.0, "rounds": 0, "busy": 0.0, "longest": 0.0}
    pid = os.getpid()
    out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (for the process's life)

    def timed_select(self, timeout=None):
        began = time.perf_counter()
        try:
            return select(self, timeout)
        finally:
            waited[0] += time.perf_counter() - began

    def timed_run_once(self):
        waited[0] = 0.0
        began = time.perf_counter()
        run_once(self)
        busy = time.perf_counter() - began - waited[0]
        now = time.monotonic()
        if now - second["at"] >= 1.0:
            if second["rounds"]:
                out.write(json.dumps({"pid": pid, "loop": second}) + "\n")
                out.flush()
            second.update(at=now, rounds=0, busy=0.0, longest=0.0)
        second["rounds"] += 1
        second["busy"] += busy
        second["longest"] = max(second["longest"], busy)

    selectors.EpollSelector.select = timed_select
    loop_class._run_once = timed_run_once


def _use_uvloop() -> None:
    """An experiment: the process's asyncio loops are uvloop's (not a dependency of
    pnp: ``pip install uvloop`` in the venv first). The loop's rounds are not timed
    then (``_time_the_loop`` patches the standard loop)."""
    import asyncio

    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


if os.environ.get("PNP_BENCH_UVLOOP"):
    _use_uvloop()
if _path:
    _install(_path)
    _time_the_loop(_path)
