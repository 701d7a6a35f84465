"""A factory floor of real processes with a fault proxy on every wire.

`pnp serve` runs on a SQLite file; each module is a `pnp module run` process whose
gRPC session dials its own proxy in front of the orchestrator, and which advertises
another proxy in front of its OPC UA server (``--advertise-opcua``), so that the
orchestrator's link goes through it too. Each module keeps a journal of the executions
it accepted. The proxies run in the caller's event loop; every blocking wait on a
process's output runs in a thread, so the proxies keep forwarding meanwhile.

Used by the network-fault tests (tests/faults/) and the soak bench (bench/soak.py).
``verdict()`` is the independent check of a run: the history checker over the recorded
attempts, plus the modules' own journals.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import PnpError
from pnp.v1 import attempt_pb2, module_pb2, order_pb2
from tests.cli.pnp_process import Running
from tests.e2e.history_checker import check_history
from tests.faultproxy import FaultProxy

ALIVE = module_pb2.MODULE_LIVENESS_ALIVE
COMPLETED = order_pb2.ORDER_STATE_COMPLETED
COMPLETE = attempt_pb2.ATTEMPT_STATE_COMPLETE
RUNNING = attempt_pb2.ATTEMPT_STATE_RUNNING

_WELD_ORDER = """\
apiVersion: pnp/v1
kind: Order
metadata: {{name: bracket-{n:02d}}}
spec:
  product: bracket
  quantity: 1
  due: 2030-01-01T00:00:00Z
  steps:
    - id: weld
      capability: joining.welding
      parameters: {{process: TIG, material: aluminium-6061}}
"""


def weld_order(n: int) -> str:
    """Order ``bracket-NN``: one TIG weld, the fault tests' unit of work."""
    return _WELD_ORDER.format(n=n)


@dataclass
class ProxiedModule:
    """One `pnp module run` process behind two proxies: ``grpc`` (its session to the
    orchestrator) and ``opcua`` (the orchestrator's link to it)."""

    kind: str
    dock: str
    journal: Path
    seed: int = 0
    grpc: FaultProxy = field(default_factory=lambda: FaultProxy(name="grpc"))
    opcua: FaultProxy = field(default_factory=lambda: FaultProxy(name="opcua"))
    process: Running | None = None
    stderr: str = ""
    starts: int = 0
    served: str = ""  # the OPC UA endpoint the process serves, behind ``opcua``

    @property
    def module_id(self) -> str:
        return f"{self.kind}-{self.dock}".lower()

    def partition(self) -> None:
        """The module's cable is pulled: nothing passes on either path, either way."""
        self.grpc.blackhole()
        self.opcua.blackhole()

    def heal(self) -> None:
        self.grpc.heal()
        self.opcua.heal()

    async def start(self, time_scale: str) -> None:
        """Starts the process (again, after a kill: a new boot) and waits until it is
        registered through its proxies."""
        args = [
            "--orchestrator", self.grpc.address,
            "module", "run", self.kind, "--dock", self.dock,
            "--advertise-opcua", self.opcua.opcua_endpoint,
            "--time-scale", time_scale, "--seed", str(self.seed + 1000 * self.starts),
            "--journal", str(self.journal), "--json",
        ]  # fmt: skip
        self.starts += 1
        self.process = Running(*args)
        serving = await asyncio.to_thread(
            self.process.wait_for_line, r"^(\{.*opcua_endpoint.*)$", 120
        )
        self.served = served = json.loads(serving[1])["opcua_endpoint"]
        host, port = served.removeprefix("opc.tcp://").rsplit(":", 1)
        self.opcua.set_upstream(host, int(port))
        await asyncio.to_thread(self.process.wait_for_line, r'"epoch"', 120)

    def kill(self) -> None:
        """SIGKILL: the module's power is cut; its proxies' connections are torn down by
        the kernel as they would be."""
        assert self.process is not None
        self.process.kill(signal.SIGKILL)
        self.process.process.wait(10)
        self.stop()

    def stop(self) -> None:
        if self.process is None:
            return
        _, stderr = self.process.stop()
        self.stderr += stderr
        self.process = None

    def accepted(self) -> list[str]:
        """The execution ids this module's journal says it accepted, over all its boots."""
        if not self.journal.exists():
            return []
        return [json.loads(line)["execution_id"] for line in self.journal.read_text().splitlines()]


@dataclass
class Verdict:
    orders: list
    attempts: list
    modules: list
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


class ProxiedFloor:
    """``async with ProxiedFloor(tmp, modules, ...) as floor:`` the orchestrator and the
    modules, started and registered; stopped (and checked for tracebacks) on exit."""

    def __init__(
        self,
        folder: Path,
        modules: list[tuple[str, str]],
        *,
        time_scale: str,
        serve_options: tuple[str, ...] = (),
        start_concurrency: int = 0,
    ) -> None:
        """``start_concurrency``: how many module processes start at once (0: all)."""
        self.folder = folder
        self.start_concurrency = start_concurrency
        self.db = folder / "pnp.db"
        self.time_scale = time_scale
        self.serve_options = serve_options
        self.modules = [
            ProxiedModule(kind, dock, folder / f"journal-{kind}-{dock}.jsonl".lower(), seed=n)
            for n, (kind, dock) in enumerate(modules)
        ]
        self.server: Running | None = None
        self.address = ""
        self.server_stderr = ""
        self.orchestrator_starts = 0

    def module(self, module_id: str) -> ProxiedModule:
        return next(m for m in self.modules if m.module_id == module_id)

    async def __aenter__(self) -> ProxiedFloor:
        await self.start_orchestrator(port=0)
        for module in self.modules:
            await module.grpc.start()
            module.grpc.set_upstream(*self._host_port())
            await module.opcua.start()
        starting = asyncio.Semaphore(self.start_concurrency or len(self.modules))

        async def start(module: ProxiedModule) -> None:
            async with starting:
                await module.start(self.time_scale)

        await asyncio.gather(*(start(m) for m in self.modules))
        return self

    async def __aexit__(self, *exc_info) -> None:
        for module in self.modules:
            module.heal()  # so that each says goodbye (deregisters) on its way out
        # Every module and the orchestrator are stopped even when one of them will not
        # stop in time (it is killed then): a failed run leaves no process behind.
        stops = await asyncio.gather(
            *(asyncio.to_thread(m.stop) for m in self.modules), return_exceptions=True
        )
        for module in self.modules:
            await module.grpc.close()
            await module.opcua.close()
        self.stop_orchestrator()
        # Kept next to the database for a post-mortem.
        (self.folder / "orchestrator.stderr").write_text(self.server_stderr)
        for module in self.modules:
            (self.folder / f"{module.module_id}.stderr").write_text(module.stderr)
        for failed in stops:
            if isinstance(failed, BaseException):
                raise failed

    async def add_module(
        self, kind: str, dock: str, time_scale: str | None = None
    ) -> ProxiedModule:
        """One more module process, started and registered while the floor runs;
        ``time_scale``: its own, when it should work faster or slower than the floor."""
        n = len(self.modules)
        module = ProxiedModule(kind, dock, self.folder / f"journal-{kind}-{dock}.jsonl".lower(), n)
        await module.grpc.start()
        module.grpc.set_upstream(*self._host_port())
        await module.opcua.start()
        self.modules.append(module)
        await module.start(time_scale or self.time_scale)
        return module

    def _host_port(self) -> tuple[str, int]:
        host, port = self.address.rsplit(":", 1)
        return host, int(port)

    async def start_orchestrator(self, port: int | None = None) -> None:
        """`pnp serve` on ``port`` (None: the one it had, for a restart)."""
        listen_port = self._host_port()[1] if port is None else port
        self.server = Running(
            "serve", "--listen", f"127.0.0.1:{listen_port}", "--db", str(self.db),
            "--time-scale", self.time_scale, *self.serve_options,
        )  # fmt: skip
        found = await asyncio.to_thread(self.server.wait_for_line, r"listening on ([\d.]+:\d+)", 60)
        self.address = found[1]
        self.orchestrator_starts += 1

    def kill_orchestrator(self) -> None:
        assert self.server is not None
        self.server.kill(signal.SIGKILL)
        self.server.process.wait(10)
        self.stop_orchestrator()

    def stop_orchestrator(self) -> None:
        if self.server is None:
            return
        _, stderr = self.server.stop()
        self.server_stderr += stderr
        self.server = None

    @property
    def orchestrator_pid(self) -> int | None:
        return None if self.server is None else self.server.process.pid

    def client(self, deadline: float = 10) -> OrchestratorClient:
        return OrchestratorClient(self.address, deadline=deadline)

    # -- waiting --------------------------------------------------------------------------

    async def submit(self, text: str, name: str, request_id: str) -> str:
        """Submits until acknowledged (same request id: a retry is the same order)."""
        while True:
            try:
                async with self.client(deadline=5) as client:
                    return (await client.submit_order(text, name, request_id)).order_id
            except PnpError:  # unavailable, deadline: the orchestrator is restarting
                await asyncio.sleep(0.2)

    async def running_attempt(self, timeout: float = 120, module_ids=None):
        """The first attempt seen RUNNING (on one of ``module_ids``, if given)."""
        async with self.client() as client:
            async with asyncio.timeout(timeout):
                while True:
                    for attempt in await client.list_attempts():
                        if attempt.state == RUNNING and (
                            module_ids is None or attempt.module_id in module_ids
                        ):
                            return attempt
                    await asyncio.sleep(0.1)

    async def all_completed(self, count: int, timeout: float = 300) -> list:
        """Waits until ``count`` orders exist and every one is completed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        orders: list = []
        while loop.time() < deadline:
            try:
                async with self.client() as client:
                    orders = list(await client.list_orders())
            except PnpError:
                orders = []
            if len(orders) == count and all(o.state == COMPLETED for o in orders):
                return orders
            await asyncio.sleep(0.5)
        raise AssertionError(
            f"not all {count} orders completed within {timeout} s: "
            f"{[(o.order_id, o.state, o.operations_done, o.operations_total) for o in orders]}"
        )

    async def alive(self, module_id: str, timeout: float = 60) -> None:
        """Waits until the orchestrator sees ``module_id`` alive: it rejoined."""
        async with self.client() as client:
            async with asyncio.timeout(timeout):
                while (await client.get_module(module_id)).liveness != ALIVE:
                    await asyncio.sleep(0.1)

    # -- judging --------------------------------------------------------------------------

    async def verdict(self) -> Verdict:
        """The independent check: every operation completed exactly once, on a capable
        module, after its predecessors (tests/e2e/history_checker.py); no execution id
        accepted twice by any module; every completed attempt in the journal of the
        module the orchestrator says ran it."""
        async with self.client() as client:
            orders = list(await client.list_orders())
            attempts = list(await client.list_attempts())
            modules = list(await client.list_modules())
        problems = check_history(orders, attempts, modules)
        accepted = {m.module_id: m.accepted() for m in self.modules}
        counted = Counter(e for ids in accepted.values() for e in ids)
        problems += [f"{e} was accepted {n} times" for e, n in counted.items() if n > 1]
        for attempt in attempts:
            if attempt.state == COMPLETE and attempt.execution_id not in accepted.get(
                attempt.module_id, ()
            ):
                problems.append(
                    f"{attempt.execution_id} completed on {attempt.module_id}, "
                    "whose journal never accepted it"
                )
        return Verdict(orders, attempts, modules, problems)

    def events(self, kind: str) -> list[tuple[str, str]]:
        """(subject, message) of every stored event of ``kind``, oldest first."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as connection:
            rows = connection.execute(
                "SELECT subject, message FROM events WHERE kind = ? ORDER BY sequence", (kind,)
            )
            return list(rows)

    def tracebacks(self) -> list[str]:
        """Which processes printed a traceback (stopped ones only)."""
        found = ["orchestrator"] if "Traceback" in self.server_stderr else []
        return found + [m.module_id for m in self.modules if "Traceback" in m.stderr]

    def first_traceback(self) -> str:
        """The first traceback any stopped process printed, as printed ("" for none)."""
        for stderr in (self.server_stderr, *(m.stderr for m in self.modules)):
            start = stderr.find("Traceback")
            if start >= 0:
                return stderr[max(0, stderr.rfind("\n", 0, max(0, start - 300))) : start + 4000]
        return ""
