"""Fuzzing over the real gRPC API: whatever descriptor or recipe a client sends, the
answer is a success or a clear refusal (never INTERNAL or UNKNOWN, the marks of a
traceback), and a refusal writes nothing.

One orchestrator serves all examples from a thread of its own, so hypothesis can drive
it with plain blocking calls. Each example opens a fresh channel: the registration rate
limit counts per connection without TLS, and is not what is being fuzzed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import string
import threading

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pnp.orchestrator.api.runtime import open_orchestrator
from pnp.orchestrator.service.settings import FactorySettings
from pnp.v1 import (
    module_pb2,
    orchestrator_pb2,
    orchestrator_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
)
from tests.security.conftest import TABLES

pytestmark = pytest.mark.servers

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.NOT_FOUND,
}


class ServerThread:
    """An orchestrator on its own event loop in a background thread."""

    def __init__(self, tmp_path) -> None:
        self.db_path = tmp_path / "fuzz.db"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._stack = contextlib.AsyncExitStack()
        orchestrator = self.call(self._start())
        self.factory, self.server = orchestrator.factory, orchestrator.server

    def call(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self):
        return await self._stack.enter_async_context(
            open_orchestrator(
                self.db_path, settings=FactorySettings(solve_time_limit=0.5), stop_grace=0.2
            )
        )

    async def _stop(self) -> None:
        await self._stack.aclose()

    def close(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def row_counts(self) -> dict[str, int]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def status_of(self, call) -> grpc.StatusCode:
        with grpc.insecure_channel(self.server.address) as channel:
            try:
                call(channel)
            except grpc.RpcError as error:
                return error.code()
        return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def orchestrator_thread(tmp_path_factory):
    running = ServerThread(tmp_path_factory.mktemp("fuzz"))
    try:
        yield running
    finally:
        running.close()


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
names = st.sampled_from(["", "laser", "cutting.laser", "x.y", "thickness_mm", "A1"]) | text
module_ids = st.text(string.ascii_lowercase + string.digits + "-._", min_size=1, max_size=70)
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -1.0, 1e18])
parameters = st.builds(
    module_pb2.ParameterSpec,
    name=names,
    range=st.none() | st.builds(module_pb2.NumericRange, min=numbers, max=numbers, unit=text),
    required=st.booleans(),
) | st.builds(
    module_pb2.ParameterSpec,
    name=names,
    allowed=st.builds(module_pb2.AllowedValues, values=st.lists(text, max_size=5)),
)
capabilities = st.builds(
    module_pb2.Capability,
    name=names,
    parameters=st.lists(parameters, max_size=4),
    time_model=st.builds(
        module_pb2.TimeModel,
        setup_seconds=numbers,
        seconds_per_unit=numbers,
        batch_capacity=st.integers(0, 2**32 - 1),
        changeovers=st.lists(
            st.builds(module_pb2.Changeover, parameter=names, seconds=numbers), max_size=3
        ),
    ),
)
descriptors = st.builds(
    module_pb2.ModuleDescriptor,
    module_id=module_ids,
    vendor=text,
    model=text,
    serial=text,
    footprint=st.integers(0, 5),
    dock=names,
    opcua_endpoint=st.sampled_from(["", "opc.tcp://127.0.0.1:9"]) | text,
    capabilities=st.lists(capabilities, max_size=70),
    utilities=st.builds(
        module_pb2.UtilityNeeds, power_kw=numbers, air_nl_per_min=numbers, water_l_per_min=numbers
    ),
    kind=text,
)


@FUZZ
@given(descriptor=descriptors, boot_id=text)
def test_any_descriptor_is_registered_or_refused_without_a_write(
    orchestrator_thread, descriptor, boot_id
):
    before = orchestrator_thread.row_counts()
    request = registry_pb2.RegisterModuleRequest(
        descriptor=descriptor, boot_id=boot_id, request_id="fuzz"
    )
    code = orchestrator_thread.status_of(
        lambda channel: registry_pb2_grpc.ModuleRegistryStub(channel).RegisterModule(
            request, timeout=10
        )
    )
    after = orchestrator_thread.row_counts()
    if code is grpc.StatusCode.OK:
        assert after["modules"] in (before["modules"], before["modules"] + 1)
    else:
        assert code in REFUSALS, code
        assert after == before


recipe_lines = (
    st.sampled_from(
        [
            "apiVersion: pnp/v1",
            "kind: Order",
            "metadata: {name: fuzz}",
            "spec:",
            "  product: frame",
            "  quantity: 4",
            "  quantity: -1",
            "  due: 2026-12-01T16:00:00Z",
            "  steps:",
            "    - {id: cut, capability: cutting.laser}",
            "    - {id: weld, capability: joining.welding, after: [cut]}",
            "    - &a {id: x, capability: a.b}",
            "    - *a",
            "  lotSize: 0",
            "!!python/object:os.system {}",
        ]
    )
    | text
)


@FUZZ
@given(lines=st.lists(recipe_lines, max_size=14))
def test_any_recipe_text_is_stored_whole_or_refused_without_a_write(orchestrator_thread, lines):
    before = orchestrator_thread.row_counts()
    request = orchestrator_pb2.SubmitOrderRequest(
        recipe_yaml="\n".join(lines), source="fuzz.yaml", request_id=f"fuzz-{hash(tuple(lines))}"
    )
    code = orchestrator_thread.status_of(
        lambda channel: orchestrator_pb2_grpc.OrchestratorStub(channel).SubmitOrder(
            request, timeout=10
        )
    )
    after = orchestrator_thread.row_counts()
    if code is grpc.StatusCode.OK:
        assert after["orders"] in (before["orders"], before["orders"] + 1)
    else:
        assert code in REFUSALS, code
        assert after == before
