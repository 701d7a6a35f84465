"""A module in another language, built from docs/module-contract.md alone, plugs in.

``tests/interop/node_module`` is a pnp module in Node.js: node-opcua serves its skill
(ModuleType and SkillType loaded from the published NodeSet2 file), @grpc/grpc-js holds
its registry session from ``proto/pnp/v1/registry.proto``. It shares no code with the
Python SDK. Here it passes ``pnp module check``, completes work next to Python modules,
and, killed mid-operation, has its work re-run elsewhere, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import sys
from pathlib import Path

import pytest
from asyncua import Client, ua

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.v1 import attempt_pb2, order_pb2
from pnp.v1.opcua import NAMESPACE_URI, ModuleNode, Refusal, SkillMethod
from tests.conftest import REPO, start_factory
from tests.modules.slow_registry import SlowRegistry, next_message, serving
from tests.replicas import Standby, after_takeovers

HERE = Path(__file__).resolve().parent
NODE_MODULE = HERE / "node_module"
NODESET = REPO / "sdk" / "src" / "pnp" / "v1" / "pnp-module.NodeSet2.xml"
PNP = Path(sys.executable).parent / "pnp"
SCALE = 60  # factory seconds per real second, for the orchestrator and every module
FAST = 150  # for the order that only has to complete: the weld alone takes 420 s

CUT_THEN_WELD = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: bracket}
spec:
  product: bracket
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
    - {id: weld, capability: joining.welding, parameters: {process: TIG}, after: [cut]}
"""
CUT_ONLY = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: plate}
spec:
  product: plate
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
"""


@pytest.fixture
def node() -> str:
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the Node.js module cannot run")
    if not (NODE_MODULE / "node_modules" / "node-opcua").exists():
        pytest.fail(
            "tests/interop/node_module has no node_modules: `make test` runs npm install there"
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NodeModule:
    """The Node.js module as a child process; its stdout lines announce what it did."""

    def __init__(self, node: str, tmp_path: Path, *args: str, time_scale: float = SCALE) -> None:
        self.node = node
        self.port = _free_port()
        self.args = [
            "--opcua-port",
            str(self.port),
            "--time-scale",
            str(time_scale),
            "--pki",
            str(tmp_path / "node-module-pki"),
            *args,
        ]
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._seen = asyncio.Condition()
        self._reader: asyncio.Task | None = None

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.node,
            str(NODE_MODULE / "module.js"),
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            async with self._seen:
                self.lines.append(raw.decode().rstrip())
                self._seen.notify_all()
        async with self._seen:
            self._seen.notify_all()

    async def wait_for_line(self, prefix: str, timeout: float = 60) -> str:
        async def seen() -> str:
            async with self._seen:
                while True:
                    for line in self.lines:
                        if line.startswith(prefix):
                            return line
                    if self._reader is not None and self._reader.done():
                        raise AssertionError(f"node module exited; it printed {self.lines}")
                    await self._seen.wait()

        return await asyncio.wait_for(seen(), timeout)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


async def _run_node(node: str, *args: str, timeout: float = 60) -> dict:
    process = await asyncio.create_subprocess_exec(
        node, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, err.decode()
    [line] = [x for x in out.decode().splitlines() if x.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


async def _until_order_completed(client: OrchestratorClient, order_id: str, timeout: float = 90):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        order = (await client.get_order(order_id)).order
        if order.state == order_pb2.ORDER_STATE_COMPLETED:
            return
        assert asyncio.get_running_loop().time() < deadline, await client.list_attempts(order_id)
        await asyncio.sleep(0.1)


def _journal(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["execution_id"] for line in path.read_text().splitlines()]


# -- the published NodeSet2 file in node-opcua --------------------------------------------


async def test_node_opcua_loads_the_published_nodeset_next_to_the_standard_one(node):
    report = await _run_node(node, str(NODE_MODULE / "load_nodeset.js"), str(NODESET))
    module_type, skill_type = report["types"]["ModuleType"], report["types"]["SkillType"]
    assert module_type["supertype"] == skill_type["supertype"] == "BaseObjectType"
    module_children = {child["name"]: child for child in module_type["children"]}
    assert list(module_children) == [
        "ModuleId",
        "Vendor",
        "Model",
        "ItemState",
        "Skills",
        "Telemetry",
    ]
    [skill] = module_children["Skills"]["organizes"]
    assert skill["typeDefinition"] == "SkillType"
    assert skill["modellingRule"] == "MandatoryPlaceholder"
    [telemetry] = module_children["Telemetry"]["components"]
    assert (telemetry["dataType"], telemetry["modellingRule"]) == ("Double", "OptionalPlaceholder")
    skill_children = {child["name"]: child for child in skill_type["children"]}
    assert skill_children["StateNumber"]["dataType"] == "Int32"
    assert skill_children["Envelope"]["reference"] == "HasProperty"
    assert skill_children["Start"]["inputs"] == [
        {"name": "executionId", "dataType": "String"},
        {"name": "parametersJson", "dataType": "String"},
        {"name": "leaderTerm", "dataType": "UInt64"},
    ]
    assert skill_children["Start"]["outputs"] == [{"name": "accepted", "dataType": "Boolean"}]
    assert skill_children["QueryExecution"]["outputs"] == [
        {"name": "outcome", "dataType": "String"},
        {"name": "resultsJson", "dataType": "String"},
    ]


# -- the Node.js module -----------------------------------------------------------------


async def test_the_node_module_passes_the_conformance_kit(node, tmp_path):
    module = NodeModule(node, tmp_path, "--no-orchestrator", "--module-id", "node-laser-kit")
    await module.start()
    try:
        await module.wait_for_line("SERVING ")
        process = await asyncio.create_subprocess_exec(
            str(PNP),
            "module",
            "check",
            module.endpoint,
            "--json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
    finally:
        await module.close()
    report = json.loads(out)
    failed = [check for check in report["checks"] if not check["passed"]]
    assert not failed, failed
    assert process.returncode == 0, err.decode()
    names = {check["name"] for check in report["checks"]}
    assert "cutting.laser: start is idempotent" in names
    assert "cutting.laser: abort and clear" in names


async def test_the_node_module_completes_its_step_of_an_order_next_to_a_python_module(
    node, tmp_path
):
    running = await start_factory(tmp_path, time_scale=FAST)
    module = NodeModule(
        node, tmp_path, "--orchestrator", running.address, "--module-id", "node-laser-a2",
        "--dock", "A2", time_scale=FAST,
    )  # fmt: skip
    try:
        await module.start()
        await module.wait_for_line("REGISTERED node-laser-a2 epoch 1")
        await running.plug_in("welding-cell", "A3", time_scale=FAST)
        async with OrchestratorClient(running.address) as client:
            order = await client.submit_order(CUT_THEN_WELD, "bracket.yaml", "node-e2e-1")
            await _until_order_completed(client, order.order_id)
            attempts = await client.list_attempts(order.order_id)
    finally:
        await module.close()
        await running.close()

    done = [
        (a.capability, a.module_id)
        for a in attempts
        if a.state == attempt_pb2.ATTEMPT_STATE_COMPLETE
    ]
    assert done == [("cutting.laser", "node-laser-a2"), ("joining.welding", "welding-cell-a3")]
    [cut] = [a for a in attempts if a.capability == "cutting.laser"]
    assert json.loads(cut.results_json) == {"units": 1, "duration_s": 90, "kerf_mm": 0.15}


async def test_a_node_module_killed_mid_operation_has_its_work_rerun_on_a_python_module(
    node, tmp_path
):
    # Short leases, so the loss is noticed in about a second.
    running = await start_factory(
        tmp_path, time_scale=SCALE, heartbeat_interval=0.2, lease_ttl=1.0, restart_grace=2.0
    )
    node_journal, python_journal = tmp_path / "node.jsonl", tmp_path / "python.jsonl"
    module = NodeModule(
        node, tmp_path, "--orchestrator", running.address, "--module-id", "node-laser-a2",
        "--dock", "A2", "--journal", str(node_journal),
    )  # fmt: skip
    try:
        await module.start()
        await module.wait_for_line("REGISTERED node-laser-a2 epoch 1")
        # The same capability, slower (210 factory seconds against the Node module's 90):
        # the plan puts the cut on the Node module first.
        await running.plug_in("laser-cutter", "A3", time_scale=SCALE, journal=str(python_journal))
        async with OrchestratorClient(running.address) as client:
            order = await client.submit_order(CUT_ONLY, "plate.yaml", "node-kill-1")
            deadline = asyncio.get_running_loop().time() + 60
            while not any(
                a.state == attempt_pb2.ATTEMPT_STATE_RUNNING and a.module_id == "node-laser-a2"
                for a in await client.list_attempts(order.order_id)
            ):
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.05)
            await module.kill()  # pulled out mid-cut: no deregistration, no goodbye
            await _until_order_completed(client, order.order_id)
            attempts = await client.list_attempts(order.order_id)
    finally:
        await module.close()
        await running.close()

    history = [(a.module_id, a.state) for a in attempts]
    assert history == [
        ("node-laser-a2", attempt_pb2.ATTEMPT_STATE_FAILED),
        ("laser-cutter-a3", attempt_pb2.ATTEMPT_STATE_COMPLETE),
    ]
    assert "lost" in attempts[0].error
    # Each module ran what the orchestrator says it ran, and no execution id ran twice.
    ran_on_node, ran_on_python = _journal(node_journal), _journal(python_journal)
    assert ran_on_node == [attempts[0].execution_id]
    assert ran_on_python == [attempts[1].execution_id]
    assert attempts[0].execution_id != attempts[1].execution_id


async def test_the_node_module_refuses_a_start_from_a_deposed_leader(node, tmp_path):
    journal = tmp_path / "node.jsonl"
    module = NodeModule(
        node, tmp_path, "--no-orchestrator", "--module-id", "node-laser-fence",
        "--journal", str(journal),
    )  # fmt: skip
    parameters = json.dumps({"material": "steel-s235", "thickness_mm": 3})
    try:
        await module.start()
        await module.wait_for_line("SERVING ")
        client = Client(module.endpoint, timeout=10)
        await client.connect()
        try:
            idx = await client.get_namespace_index(NAMESPACE_URI)
            skill = await client.nodes.objects.get_child(
                [f"{idx}:{ModuleNode.MODULE}", f"{idx}:{ModuleNode.SKILLS}", f"{idx}:cutting.laser"]
            )

            async def start(execution_id: str, term: int):
                uint64 = ua.Variant(term, ua.VariantType.UInt64)
                return await skill.call_method(
                    f"{idx}:{SkillMethod.START}", execution_id, parameters, uint64
                )

            assert await start("from-leader-2", 2) is True
            # The term is checked first: refused as stale, although the skill is busy too.
            with pytest.raises(ua.UaStatusCodeError) as refused:
                await start("from-leader-1", 1)
            assert type(refused.value).__name__ == Refusal.BAD_REQUEST_NOT_ALLOWED
        finally:
            await client.disconnect()
    finally:
        await module.close()
    assert _journal(journal) == ["from-leader-2"]


async def test_the_node_module_finds_the_leader_through_a_standby(node, tmp_path):
    after_takeovers(tmp_path / "pnp.db", 4)  # the orchestrator leads at term 4
    running = await start_factory(tmp_path, time_scale=FAST)
    assert running.factory.store.leader_term == 4
    try:
        async with Standby(running.address) as standby:
            module = NodeModule(
                node, tmp_path, "--orchestrator", f"{standby.address},{running.address}",
                "--module-id", "node-laser-a2", "--dock", "A2", time_scale=FAST,
            )  # fmt: skip
            try:
                await module.start()
                await module.wait_for_line("REGISTERED node-laser-a2 epoch 1")
                assert "/pnp.v1.ModuleRegistry/RegisterModule" in standby.calls
                # The orchestrator's Start carries term 4, which the module learnt.
                async with OrchestratorClient(running.address) as client:
                    order = await client.submit_order(CUT_ONLY, "plate.yaml", "node-term-1")
                    await _until_order_completed(client, order.order_id)
            finally:
                await module.close()
    finally:
        await running.close()


async def test_the_node_module_keeps_at_most_one_heartbeat_unacknowledged(node, tmp_path):
    registry = SlowRegistry()
    async with serving(registry) as address:
        module = NodeModule(
            node, tmp_path, "--orchestrator", address, "--module-id", "node-laser-a2",
            "--dock", "A2",
        )  # fmt: skip
        try:
            await module.start()
            await next_message(registry, "hello")
            await next_message(registry, "state")
            first = await next_message(registry, "heartbeat")
            # A beat falls due every millisecond: were beats not held back, hundreds
            # would be on the stream by now. (A slow machine can only hide a failure,
            # not make one.)
            await asyncio.sleep(0.3)
            while not registry.received.empty():
                assert registry.received.get_nowait().WhichOneof("message") != "heartbeat"
            await registry.acks.put(first.heartbeat.sequence)
            second = await next_message(registry, "heartbeat")  # acknowledged: the next
            assert second.heartbeat.sequence == first.heartbeat.sequence + 1
        finally:
            await module.close()
