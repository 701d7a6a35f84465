"""The conformance kit passes on every reference module and names what a broken one gets wrong."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from pnp.sdk.catalog import load_catalog
from pnp.sdk.conformance import check_module
from pnp.sdk.module import Module
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.sdk.skill import SkillContext, SkillRuntime

KINDS = sorted(load_catalog().kinds)


def fast_time_scale(kind: str, real_seconds: float = 0.2) -> float:
    """A time scale that makes one unit of the kind's slowest skill take ``real_seconds``."""
    module_type = load_catalog().module_type(kind)
    return max(c.time.seconds_for(1) for c in module_type.capabilities) / real_seconds


@contextlib.asynccontextmanager
async def serving(module: Module):
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 10)
        yield module
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.servers
async def test_every_reference_module_passes_the_kit(kind):
    config = SimulatedModuleConfig(
        kind=kind, dock="A1", orchestrator=None, time_scale=fast_time_scale(kind)
    )
    async with serving(SimulatedModule(config)) as module:
        results = await check_module(module.endpoint, timeout=10)
    failed = [f"{r.name}: {r.detail}" for r in results if not r.passed]
    assert not failed
    skills = load_catalog().module_type(kind).capabilities
    assert len(results) == 3 + 8 * len(skills)  # connect, model, telemetry + 8 per skill


class ForgetfulRuntime(SkillRuntime):
    """A deliberately broken skill: it forgets executions, so a repeated Start runs again."""

    async def start(self, execution_id: str, parameters_json: str) -> bool:
        self.history.clear()
        return await super().start(execution_id, parameters_json)


@pytest.mark.servers
async def test_the_kit_fails_a_broken_module_and_names_the_check():
    module_type = load_catalog().module_type("vision-inspection")
    broken = Module(module_type, module_id="broken-1", dock="A1", orchestrator=None, time_scale=50)

    async def inspect(ctx: SkillContext) -> dict:
        await ctx.sleep(5 * ctx.units)
        return {}

    broken.add_skill("inspection.vision", inspect)
    broken.set_telemetry("PowerKw", 1.5)
    runtime = broken.skills["inspection.vision"]
    runtime.__class__ = ForgetfulRuntime
    async with serving(broken):
        results = await check_module(broken.endpoint, timeout=5)
    failed = {r.name: r.detail for r in results if not r.passed}
    assert list(failed) == ["inspection.vision: start is idempotent"]
    assert "repeated Start" in failed["inspection.vision: start is idempotent"]


async def test_the_kit_reports_an_unreachable_endpoint():
    results = await check_module("opc.tcp://127.0.0.1:1", timeout=2)
    assert [(r.name, r.passed) for r in results] == [("connect", False)]


@pytest.mark.servers
async def test_a_module_serves_opc_ua_while_the_orchestrator_is_away_then_registers(tmp_path):
    from pnp.orchestrator.api.runtime import open_orchestrator
    from tests.conftest import start_factory

    # An orchestrator address nobody listens on yet.
    (tmp_path / "probe").mkdir()
    probe = await start_factory(tmp_path / "probe")
    address = probe.address
    await probe.close()
    module = SimulatedModule(
        SimulatedModuleConfig(kind="cnc-mill", dock="B1", orchestrator=address, time_scale=500)
    )
    async with serving(module):
        results = await check_module(module.endpoint, timeout=10)
        assert [r.name for r in results if not r.passed] == []
        assert not module.client.registered.is_set()

        async with open_orchestrator(
            tmp_path / "late.db", listen=address, stop_grace=0
        ) as orchestrator:
            await asyncio.wait_for(module.client.registered.wait(), 15)
            modules = orchestrator.factory.modules()
            assert [m.entry.module_id for m in modules] == ["cnc-mill-b1"]
