"""A skill at run time: handlers, pauses, cancellation, idempotent Start."""

from __future__ import annotations

import asyncio
import json

import pytest

from pnp.sdk.descriptors import CapabilitySpec
from pnp.sdk.packml import Command, CommandRefused, State
from pnp.sdk.skill import InvalidParameters, SkillContext, SkillRuntime

CUT = CapabilitySpec.model_validate(
    {
        "name": "cutting.laser",
        "parameters": [
            {"name": "material", "allowed": ["steel", "alu"], "required": True},
            {"name": "thickness_mm", "min": 0.5, "max": 20, "unit": "mm"},
        ],
        "time": {"setup_s": 10, "per_unit_s": 5},
    }
)
PARAMS = json.dumps({"material": "steel", "thickness_mm": 3})


class Recorder:
    def __init__(self) -> None:
        self.states: list[str] = []
        self.runs: list[str] = []
        self.release = asyncio.Event()

    async def on_change(self, runtime: SkillRuntime) -> None:
        if not self.states or self.states[-1] != runtime.state.label:
            self.states.append(runtime.state.label)

    async def handler(self, ctx: SkillContext) -> dict:
        self.runs.append(ctx.execution_id)
        await self.release.wait()
        await ctx.checkpoint()
        return {"units": ctx.units}


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def runtime(recorder):
    return SkillRuntime(CUT, recorder.handler, on_change=recorder.on_change)


async def test_a_handler_that_returns_completes_the_execution(runtime, recorder):
    assert await runtime.start("e1", json.dumps({"material": "alu", "_units": 3})) is True
    await settle()
    assert runtime.state is State.EXECUTE
    recorder.release.set()
    await settle()
    assert runtime.state is State.COMPLETE
    assert runtime.history["e1"].results == {"units": 3}
    assert recorder.states == ["Starting", "Execute", "Completing", "Complete"]


async def test_the_same_execution_id_never_runs_twice(runtime, recorder):
    recorder.release.set()
    await runtime.start("e1", PARAMS)
    await settle()
    assert await runtime.start("e1", PARAMS) is True  # acknowledged again
    await runtime.command(Command.RESET)
    assert await runtime.start("e1", PARAMS) is True  # still not run again
    await settle()
    assert recorder.runs == ["e1"]
    assert runtime.state is State.IDLE


async def test_a_new_start_while_busy_is_refused(runtime):
    await runtime.start("e1", PARAMS)
    with pytest.raises(CommandRefused):
        await runtime.start("e2", PARAMS)


@pytest.mark.parametrize(
    "parameters",
    [
        "not json",
        "[1]",
        json.dumps({"thickness_mm": 3}),  # required material missing
        json.dumps({"material": "wood"}),
        json.dumps({"material": "steel", "thickness_mm": 99}),
        json.dumps({"material": "steel", "laser_color": "green"}),
        json.dumps({"material": "steel", "_units": 0}),
        json.dumps({"material": "steel", "_units": True}),
    ],
)
async def test_parameters_outside_the_envelope_are_refused(runtime, parameters):
    with pytest.raises(InvalidParameters):
        await runtime.start("e1", parameters)
    assert runtime.state is State.IDLE
    assert "e1" not in runtime.history


async def test_a_failing_handler_aborts(recorder):
    async def broken(ctx: SkillContext) -> None:
        raise RuntimeError("spindle jammed")

    runtime = SkillRuntime(CUT, broken, on_change=recorder.on_change)
    await runtime.start("e1", PARAMS)
    await settle()
    assert runtime.state is State.ABORTED
    assert runtime.history["e1"].outcome == "aborted"
    assert runtime.history["e1"].error == "spindle jammed"


async def test_time_held_does_not_count(recorder):
    async def timed(ctx: SkillContext) -> None:
        await ctx.sleep(0.2)

    runtime = SkillRuntime(CUT, timed, on_change=recorder.on_change)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await runtime.start("e1", PARAMS)
    await asyncio.sleep(0.05)
    await runtime.command(Command.HOLD)
    await asyncio.sleep(0.3)
    assert runtime.state is State.HELD
    await runtime.command(Command.UNHOLD)
    while runtime.state is not State.COMPLETE:
        await asyncio.sleep(0.01)
    assert loop.time() - started >= 0.5


async def test_stop_and_abort_cancel_the_handler(runtime, recorder):
    await runtime.start("e1", PARAMS)
    await runtime.command(Command.STOP)
    assert runtime.state is State.STOPPED
    assert runtime.history["e1"].outcome == "stopped"
    await runtime.command(Command.RESET)
    await runtime.start("e2", PARAMS)
    await runtime.command(Command.ABORT)
    assert runtime.state is State.ABORTED
    assert runtime.history["e2"].outcome == "aborted"


async def test_a_handler_that_ignores_cancellation_does_not_hang_the_skill(monkeypatch):
    monkeypatch.setattr("pnp.sdk.skill.CANCEL_GRACE_SECONDS", 0.05)
    finished = asyncio.Event()

    async def stubborn(ctx: SkillContext) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)  # swallows the cancellation and keeps going
        finished.set()

    runtime = SkillRuntime(CUT, stubborn)
    await runtime.start("e1", PARAMS)
    await settle()
    await asyncio.wait_for(runtime.command(Command.ABORT), 1)
    assert runtime.state is State.ABORTED
    assert not finished.is_set()  # the skill moved on without waiting for it
    await asyncio.wait_for(finished.wait(), 2)
