"""Hostile input from authenticated callers: refused with the right status, cheaply,
leaving the server serving and the store exactly as it was."""

from __future__ import annotations

import asyncio
import math

import grpc
import pytest

from pnp.orchestrator.api.status import error_from_rpc
from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.security.limits import MAX_RECEIVE_MESSAGE_BYTES, REGISTRATION_RATE
from pnp.v1 import (
    module_pb2,
    orchestrator_pb2,
    orchestrator_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
)
from tests.conftest import REPO
from tests.security.calls import register, session_refusal, status_of
from tests.security.conftest import MODULE_A, PLANNER, descriptor

pytestmark = pytest.mark.servers

BAD_RECIPES = REPO / "tests" / "recipes" / "bad"


async def submit(secure_factory, recipe_yaml: str, request_id: str = "r1"):
    async with secure_factory.channel(PLANNER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        request = orchestrator_pb2.SubmitOrderRequest(
            recipe_yaml=recipe_yaml, source="hostile.yaml", request_id=request_id
        )
        return await status_of(stub.SubmitOrder(request, timeout=10))


async def register_descriptor(secure_factory, hostile: module_pb2.ModuleDescriptor):
    async with secure_factory.channel(MODULE_A) as channel:
        stub = registry_pb2_grpc.ModuleRegistryStub(channel)
        request = registry_pb2.RegisterModuleRequest(
            descriptor=hostile, boot_id="boot-1", request_id="r1"
        )
        return await status_of(stub.RegisterModule(request, timeout=10))


async def test_an_oversized_message_is_refused_before_it_is_parsed(secure_factory):
    before = secure_factory.row_counts()
    code = await submit(secure_factory, "#" * (MAX_RECEIVE_MESSAGE_BYTES + 1))
    assert code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert secure_factory.row_counts() == before
    assert await secure_factory.is_serving()


async def test_a_descriptor_with_100000_capabilities_is_refused(secure_factory):
    hostile = descriptor("laser-a")
    hostile.capabilities.extend(module_pb2.Capability() for _ in range(100_000))
    assert hostile.ByteSize() < 1024 * 1024  # it reaches the servicer: the count refuses it
    assert await register_descriptor(secure_factory, hostile) is grpc.StatusCode.INVALID_ARGUMENT
    assert secure_factory.row_counts()["modules"] == 0
    assert await secure_factory.is_serving()


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -1.0, 1e18])
async def test_a_duration_that_is_not_a_sane_number_is_refused(secure_factory, seconds):
    hostile = descriptor("laser-a")
    hostile.capabilities[0].time_model.setup_seconds = seconds
    assert await register_descriptor(secure_factory, hostile) is grpc.StatusCode.INVALID_ARGUMENT
    hostile = descriptor("laser-a")
    hostile.capabilities[0].time_model.seconds_per_unit = seconds
    assert await register_descriptor(secure_factory, hostile) is grpc.StatusCode.INVALID_ARGUMENT
    assert secure_factory.row_counts()["modules"] == 0
    assert await secure_factory.is_serving()


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "python-object-tag.yaml"])
async def test_a_hostile_recipe_is_refused_and_nothing_is_stored(secure_factory, name):
    before = secure_factory.row_counts()
    code = await submit(secure_factory, (BAD_RECIPES / name).read_text())
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert secure_factory.row_counts() == before
    assert await secure_factory.is_serving()


async def test_a_replayed_report_from_an_old_epoch_is_fenced(secure_factory):
    async with secure_factory.channel(MODULE_A) as channel:
        old = (await register(channel, "laser-a", boot_id="boot-1")).epoch
        new = (await register(channel, "laser-a", boot_id="boot-2")).epoch
        assert new == old + 1
        replay = await session_refusal(channel, "laser-a", old)
        stale_leave = await status_of(
            registry_pb2_grpc.ModuleRegistryStub(channel).DeregisterModule(
                registry_pb2.DeregisterModuleRequest(module_id="laser-a", epoch=old), timeout=5
            )
        )
    assert replay is stale_leave is grpc.StatusCode.FAILED_PRECONDITION
    assert secure_factory.module_rows() == [("laser-a", new, "boot-2")]
    assert secure_factory.factory.registry.get("laser-a").epoch == new
    assert await secure_factory.is_serving()


async def test_a_registration_flood_is_throttled_per_certificate(secure_factory):
    attempts = 3 * REGISTRATION_RATE.burst
    clock = asyncio.get_running_loop().time
    began = clock()
    async with secure_factory.channel(MODULE_A) as channel:
        codes = await asyncio.gather(
            *(status_of(register(channel, "laser-a")) for _ in range(attempts))
        )
    # The bucket grants its burst at once and refills at its rate while the flood lasts
    # (longer on a busy machine): no more than that may get through.
    refilled = int(REGISTRATION_RATE.per_second * (clock() - began))
    assert codes.count(grpc.StatusCode.OK) <= REGISTRATION_RATE.burst + refilled + 1
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    # The flood was one boot retrying: one module, one epoch.
    assert secure_factory.module_rows() == [("laser-a", 1, "boot-1")]
    assert await secure_factory.is_serving()


async def test_a_descriptor_with_thousands_of_problems_still_gets_invalid_argument(
    secure_factory,
):
    """Found by fuzzing: every problem in the status made its trailer pass the 16 KiB that
    clients accept, and the caller saw RESOURCE_EXHAUSTED instead of what was wrong."""
    hostile = descriptor("laser-a")
    for capability in hostile.capabilities:
        capability.parameters.extend(
            module_pb2.ParameterSpec(name=f"Ungültig-{i}-" + "ä" * 40) for i in range(50)
        )
    hostile.capabilities.extend(hostile.capabilities[0] for _ in range(60))
    async with secure_factory.channel(MODULE_A) as channel:
        stub = registry_pb2_grpc.ModuleRegistryStub(channel)
        request = registry_pb2.RegisterModuleRequest(
            descriptor=hostile, boot_id="boot-1", request_id="r1"
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RegisterModule(request, timeout=10)
    error = error_from_rpc(refused.value)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert isinstance(error, BadInput)
    assert error.violations[-1].description.endswith("more problems")
    assert secure_factory.row_counts()["modules"] == 0


async def test_a_what_if_with_thousands_of_modules_is_refused(secure_factory):
    async with secure_factory.channel(PLANNER) as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        request = orchestrator_pb2.WhatIfRequest(
            with_descriptors=[descriptor(f"what-if-{i}") for i in range(5_000)]
        )
        code = await status_of(stub.WhatIf(request, timeout=10))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert await secure_factory.is_serving()
