"""The adapter drives the test PEA's services over OPC UA through pnp's skill contract.

No orchestrator here: the skills are called as the executor calls them (Start, Abort,
QueryExecution via the SDK's runtime), and the PEA's own state shows what happened.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from pnp.sdk.packml import Command, State
from pnp.v1.opcua import ExecutionOutcome
from tests.mtp.fermenter_pea import (
    ABORTED,
    COMPLETED,
    COMPLETING,
    EXECUTE,
    IDLE,
    RESETTING,
    STARTING,
    FermenterPea,
)
from tests.mtp.peas import start_adapter, stop

pytestmark = pytest.mark.servers


async def until(condition, what: str, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_start_selects_the_procedure_writes_the_parameters_and_completes_with_reports():
    async with FermenterPea() as pea:
        adapter, task = await start_adapter(
            pea, module_id="fermenter-a1", dock="A1", orchestrator=None
        )
        try:
            skill = adapter.module.skills["bio.fermentation"]
            parameters = {
                "procedure": "fed_batch",
                "volume_l": 200,
                "temperature_c": 37,
                "feed_rate": 0.5,
            }
            assert await skill.start("exec-1", json.dumps(parameters))
            await until(lambda: skill.state is State.COMPLETE, "the skill to complete")
            outcome, results = skill.outcome_of("exec-1")
            assert outcome is ExecutionOutcome.COMPLETE
            assert results["procedure"] == "fed_batch"
            assert results["titer_g_per_l"] == pytest.approx(2.7, rel=1e-6)
            ferment = pea.services["Ferment"]
            # FedBatch is ProcedureID 2; the values reached VOut on Start.
            assert ferment.procedure_req == 2
            assert ferment.values == {"Volume": 200.0, "Temperature": 37.0, "FeedRate": 0.5}
            # Through the external channel: Automatic mode, source External.
            assert ferment.modes["StateAutAct"] and ferment.modes["SrcExtAct"]
            # Started, completed, then reset for the next run.
            assert ferment.history == [STARTING, EXECUTE, COMPLETING, COMPLETED, RESETTING, IDLE]
            assert ferment.state == IDLE and ferment.runs == 1
        finally:
            await stop(task)


async def test_the_default_procedure_runs_when_none_is_given():
    async with FermenterPea() as pea:
        adapter, task = await start_adapter(
            pea, module_id="fermenter-a1", dock="A1", orchestrator=None
        )
        try:
            skill = adapter.module.skills["bio.fermentation"]
            assert await skill.start("exec-1", json.dumps({"volume_l": 50}))
            await until(lambda: skill.state is State.COMPLETE, "the skill to complete")
            assert pea.services["Ferment"].procedure_req == 1  # Batch, IsDefault
        finally:
            await stop(task)


async def test_the_same_execution_id_twice_runs_the_service_once():
    async with FermenterPea() as pea:
        adapter, task = await start_adapter(
            pea, module_id="fermenter-a1", dock="A1", orchestrator=None
        )
        try:
            skill = adapter.module.skills["bio.harvest"]
            assert await skill.start("exec-h", json.dumps({"speed": 8000}))
            assert await skill.start("exec-h", json.dumps({"speed": 8000}))
            await until(lambda: skill.state is State.COMPLETE, "the skill to complete")
            assert pea.services["Harvest"].runs == 1
            assert pea.services["Harvest"].values["Speed"] == 8000
        finally:
            await stop(task)


async def test_a_service_that_aborts_mid_run_aborts_the_skill_with_the_reason():
    async with FermenterPea() as pea:
        pea.fail_next("Ferment")
        adapter, task = await start_adapter(
            pea, module_id="fermenter-a1", dock="A1", orchestrator=None
        )
        try:
            skill = adapter.module.skills["bio.fermentation"]
            assert await skill.start("exec-1", json.dumps({"volume_l": 100}))
            await until(lambda: skill.state is State.ABORTED, "the skill to abort")
            outcome, _ = skill.outcome_of("exec-1")
            assert outcome is ExecutionOutcome.ABORTED
            assert "Ferment went Aborted" in skill.history["exec-1"].error
            assert pea.services["Ferment"].state == ABORTED  # left for people to look at
            # pnp clears and resets the skill; the next run resets the service first.
            await skill.command(Command.CLEAR)
            await skill.command(Command.RESET)
            assert await skill.start("exec-2", json.dumps({"volume_l": 100}))
            await until(lambda: skill.state is State.COMPLETE, "the second run to complete")
        finally:
            await stop(task)


async def test_aborting_the_skill_aborts_the_service():
    async with FermenterPea(seconds={"Ferment": 30}) as pea:
        adapter, task = await start_adapter(
            pea, module_id="fermenter-a1", dock="A1", orchestrator=None
        )
        try:
            skill = adapter.module.skills["bio.fermentation"]
            assert await skill.start("exec-1", json.dumps({"volume_l": 100}))
            await until(lambda: pea.services["Ferment"].state == EXECUTE, "the service to run")
            await skill.command(Command.ABORT)
            await until(lambda: pea.services["Ferment"].state == ABORTED, "the service to abort")
        finally:
            await stop(task)


async def test_a_parameter_of_another_procedure_is_refused_before_anything_starts():
    async with FermenterPea() as pea:
        adapter, task = await start_adapter(
            pea, module_id="fermenter-a1", dock="A1", orchestrator=None
        )
        try:
            skill = adapter.module.skills["bio.fermentation"]
            # feed_rate belongs to FedBatch, not to the default Batch.
            assert await skill.start("exec-1", json.dumps({"feed_rate": 1.0}))
            await until(lambda: skill.state is State.ABORTED, "the skill to abort")
            assert "does not belong to procedure batch" in skill.history["exec-1"].error
            assert pea.services["Ferment"].runs == 0
        finally:
            await stop(task)
