"""Every conformance check stands alone: alone on a fresh module, or in any order, it
gives the verdict the whole kit gives (issue 14: the telemetry check used to fail on a
freshly started module and pass once earlier checks had run executions)."""

from __future__ import annotations

import json
import random

import pytest

from pnp.sdk.catalog import load_catalog
from pnp.sdk.conformance import CHECKS, SKILL_CHECKS, TELEMETRY, UnknownCheck, check_module
from pnp.sdk.module import Module
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.sdk.skill import SkillContext
from tests.cli.pnp_process import Running, pnp
from tests.modules.test_conformance import fast_time_scale, serving

pytestmark = pytest.mark.servers

KIND = "welding-cell"  # two skills: every check runs on each


def fresh_module() -> SimulatedModule:
    return SimulatedModule(
        SimulatedModuleConfig(
            kind=KIND, dock="A2", orchestrator=None, time_scale=fast_time_scale(KIND)
        )
    )


def skill_names() -> list[str]:
    return [c.name for c in load_catalog().module_type(KIND).capabilities]


def failures(results) -> list[str]:
    return [f"{r.name}: {r.detail}" for r in results if not r.passed]


@pytest.mark.parametrize("name", CHECKS)
async def test_each_check_alone_on_a_fresh_module_passes(name):
    async with serving(fresh_module()) as module:
        results = await check_module(module.endpoint, timeout=10, only=[name])
    assert failures(results) == []
    ran = [r.name for r in results][2:]  # after connect and the information model
    expected = [name] if name not in SKILL_CHECKS else [f"{s}: {name}" for s in skill_names()]
    assert ran == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_whole_kit_in_a_shuffled_order_passes(seed):
    async with serving(fresh_module()) as module:
        results = await check_module(module.endpoint, timeout=10, shuffle=random.Random(seed))
    assert failures(results) == []
    names = [r.name for r in results][2:]
    in_kit_order = [TELEMETRY] + [f"{s}: {c}" for s in skill_names() for c in SKILL_CHECKS]
    assert sorted(names) == sorted(in_kit_order)
    assert names != in_kit_order  # the order was shuffled (true for these seeds)


def working_only_telemetry_module(*, publishes: bool) -> Module:
    """A vendor module that publishes telemetry only from inside its skill (as
    docs/vendors.md allows: `ctx.telemetry()`), or never."""
    module_type = load_catalog().module_type("vision-inspection")
    module = Module(module_type, module_id="quiet-1", dock="A4", orchestrator=None, time_scale=50)

    async def inspect(ctx: SkillContext) -> dict:
        if publishes:
            ctx.telemetry("FramesCaptured", 12.0 * ctx.units)
        await ctx.sleep(1 * ctx.units)
        return {}

    module.add_skill("inspection.vision", inspect)
    return module


async def test_telemetry_published_only_during_work_passes_on_a_fresh_module():
    async with serving(working_only_telemetry_module(publishes=True)) as module:
        alone = await check_module(module.endpoint, timeout=10, only=[TELEMETRY])
        assert failures(alone) == []
        assert "published by an execution of inspection.vision" in alone[-1].detail
    async with serving(working_only_telemetry_module(publishes=True)) as module:
        whole = await check_module(module.endpoint, timeout=10)
    assert failures(whole) == []


async def test_a_module_that_never_publishes_telemetry_fails_whatever_ran_before():
    async with serving(working_only_telemetry_module(publishes=False)) as module:
        first = await check_module(module.endpoint, timeout=10)
        again = await check_module(module.endpoint, timeout=10)
    for results in (first, again):
        assert [r.name for r in results if not r.passed] == [TELEMETRY]
        [telemetry] = [r for r in results if r.name == TELEMETRY]
        assert "no variables, even after an execution" in telemetry.detail


async def test_a_check_name_the_kit_does_not_have_is_refused():
    async with serving(fresh_module()) as module:
        with pytest.raises(UnknownCheck, match=r"no such check: cutting\.laser: idle"):
            await check_module(module.endpoint, timeout=10, only=["cutting.laser: idle"])


def test_pnp_module_check_runs_one_check_alone_or_the_kit_shuffled():
    module = Running("module", "run", KIND, "--dock", "A2", "--standalone", "--json",
                     "--time-scale", str(fast_time_scale(KIND)))  # fmt: skip
    try:
        endpoint = json.loads(module.wait_for_line(r"^(\{.*\"opcua_endpoint\".*\})$")[1])[
            "opcua_endpoint"
        ]
        alone = pnp("module", "check", endpoint, "--only", "to complete", "--json")
        assert alone.returncode == 0, alone.stdout + alone.stderr
        names = [c["name"] for c in json.loads(alone.stdout)["checks"]][2:]
        assert names == [f"{s}: to complete" for s in skill_names()]
        shuffled = pnp("module", "check", endpoint, "--shuffle", "7", "--json")
        assert shuffled.returncode == 0, shuffled.stdout + shuffled.stderr
        assert len(json.loads(shuffled.stdout)["checks"]) == 3 + 8 * len(skill_names())
        unknown = pnp("module", "check", endpoint, "--only", "paint it")
        assert unknown.returncode == 2
        assert "no such check: paint it" in unknown.stderr
    finally:
        _, stderr = module.stop()
    assert "Traceback" not in stderr
