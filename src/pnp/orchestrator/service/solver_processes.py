"""Solves in separate processes, so that planning never takes the event loop's GIL.

Planning is Python-heavy (problem building, dispatch, tabu search and squeaky-wheel
dispatch run in the calling thread next to CP-SAT). In a worker thread of the
orchestrator's process it competed with the event loop for the GIL, and the loop,
which must notice a dropped session within 100 ms, waited behind it (issue 19).

Each solve runs in a warm worker process (spawn start method: no forked copy of the
loop, its sockets or threads). ``processes`` of them are kept alive and reused, by
default two: one for the ordinary replan under way and one ready for a repair, so a
repair never pays for Python's start-up and ortools' import. A solve that is
abandoned (cancelled: a repair came and the ordinary result is no longer wanted)
kills its process at once, so it stops taking a core, and a fresh one is started in
the background in its place. When no process is ready (the first second after start,
or more solves at once than processes) the solve runs in a thread, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from pnp.orchestrator.planning import Plan, PlanningInput, plan_factory

log = logging.getLogger(__name__)

PROCESSES = 2  # an ordinary solve and a repair at once
SOLVER_NICENESS = 5  # ordinary solves: CPU weight a third of the orchestrator's


def _serve(connection: Connection) -> None:
    """The worker process: solve what comes, answer with the plan or the error. When
    the orchestrator is gone (killed, even while this worker was starting), the pipe
    breaks: the worker ends quietly, since nobody is left to answer.

    Ctrl-C on a terminal reaches the whole process group, and a service manager's
    SIGTERM may too: a worker ignores both (no KeyboardInterrupt traceback of its own),
    since its life is the orchestrator's business: it is killed when the orchestrator
    stops, and finds its pipe closed if the orchestrator is forced out."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _die_with_parent()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, EOFError):
        _solve_what_comes(connection)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """On Linux, the kernel kills this worker when the orchestrator ends, however it
    ends: a forced exit (``os._exit``, which skips multiprocessing's clean-up) or a
    SIGKILL would otherwise leave a busy solve running out its time limit, since the
    worker ignores SIGINT and SIGTERM and reads its pipe only between solves. (The
    signal comes when the thread that started the worker ends: the event loop's.)
    Elsewhere this does nothing, and a worker finds its pipe closed after its solve."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)  # the orchestrator died before the request was made: follow it now


def _solve_what_comes(connection: Connection) -> None:
    connection.send(("ready", None))
    niced = False
    while True:
        inputs, background = connection.recv()
        if background and not niced:
            # Ordinary solves keep every core busy for their whole time limit; the
            # orchestrator's event loop, which must answer heartbeats and notice dropped
            # sessions within milliseconds, comes first when both want a core. (Repairs
            # run at full weight: their bound is a second. A process cannot lower its
            # niceness again, so a niced one only ever takes ordinary solves.)
            niced = True
            with contextlib.suppress(OSError):
                os.nice(SOLVER_NICENESS)
        try:
            connection.send(("plan", plan_factory(inputs)))
        except (BrokenPipeError, ConnectionResetError):
            raise  # the orchestrator is gone
        except Exception as error:  # the orchestrator logs it and keeps its old plan
            connection.send(("error", error))


class _Worker:
    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self.process = process
        self.connection = connection
        self.niced = False  # has taken an ordinary solve, at lower CPU priority

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=1)
        with contextlib.suppress(OSError):
            self.connection.close()


class SolverProcesses:
    """``await solve(inputs)``: ``plan_factory`` in a warm process of its own."""

    def __init__(self, processes: int = PROCESSES) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._processes = processes
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._warming: set[asyncio.Task[None]] = set()
        self._stopped = False

    def start(self) -> None:
        """Processes start after the first solve (which runs in a thread)."""

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._warming):
            task.cancel()
        await asyncio.gather(*self._warming, return_exceptions=True)
        for worker in [*self._idle, *self._busy]:
            worker.kill()
        self._idle.clear()
        self._busy.clear()

    async def solve(self, inputs: PlanningInput, urgent: bool = False) -> Plan:
        """``urgent``: a repair, solved at full CPU priority; ordinary solves at less."""
        if not self._idle:
            # None warm yet (just started) or all busy: a plan now is worth more than
            # the GIL for this once; waiting for a process to start would cost seconds.
            # Processes are started after it, not next to it: the first plan after a
            # start must not compete with two Python start-ups for the CPU.
            try:
                return await asyncio.to_thread(plan_factory, inputs)
            finally:
                self._refill()
        # A repair prefers a process at full priority, an ordinary solve a niced one.
        worker = sorted(self._idle, key=lambda w: w.niced == urgent)[0]
        self._idle.remove(worker)
        worker.niced |= not urgent
        self._busy.add(worker)
        self._refill()
        finished = False
        try:
            # Pickling the inputs (orders, recipes, progress) takes tens of milliseconds
            # on a large floor: in a thread, so the loop gets the GIL back every 5 ms.
            await asyncio.to_thread(worker.connection.send, (inputs, not urgent))
            kind, value = await _receive(worker.connection)
            finished = True
        finally:
            self._busy.discard(worker)
            if finished and not self._stopped and self._alive() < self._processes:
                self._idle.append(worker)
            else:  # abandoned mid-solve (or one too many): stop it taking a core
                worker.kill()
                self._refill()
        if kind == "error":
            raise value
        assert isinstance(value, Plan)
        return value

    def _alive(self) -> int:
        return len(self._idle) + len(self._busy) + len(self._warming)

    def _refill(self) -> None:
        if self._stopped:
            return
        while self._alive() < self._processes:
            task = asyncio.get_running_loop().create_task(self._warm(), name="solver-warm-up")
            self._warming.add(task)
            task.add_done_callback(self._warming.discard)

    async def _warm(self) -> None:
        try:
            worker = await self._spawn()
        except Exception:
            log.exception("could not start a solver process")
            return
        if self._stopped:
            worker.kill()
        else:
            self._idle.append(worker)

    async def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs,), name="pnp-solver", daemon=True
        )
        with _ignoring_interrupts():
            process.start()
        theirs.close()
        worker = _Worker(process, ours)
        try:
            # The child is ready once it has imported the planner (ortools included).
            await _receive(ours)
        except BaseException:
            worker.kill()
            raise
        return worker


@contextlib.contextmanager
def _ignoring_interrupts() -> Iterator[None]:
    """SIGINT ignored while a worker is started: an ignored signal stays ignored across
    exec, and Python leaves it so, so a Ctrl-C that comes while the worker is still
    importing (a second or more) cannot print a KeyboardInterrupt traceback there
    either. (A Ctrl-C within these few milliseconds is lost to the orchestrator too;
    the next one stops it.) Only the main thread may change a signal's handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


async def _receive(connection: Connection) -> tuple[str, object]:
    """The next message, waited for on the loop (no thread parked on a pipe)."""
    loop = asyncio.get_running_loop()
    readable = loop.create_future()
    fd = connection.fileno()
    loop.add_reader(fd, lambda: readable.done() or readable.set_result(None))
    try:
        await readable
    finally:
        loop.remove_reader(fd)
    try:
        message = await asyncio.to_thread(connection.recv)  # unpickling, off the loop
    except EOFError:
        raise RuntimeError("the solver process ended without an answer") from None
    kind, value = message
    return str(kind), value
