"""MTP process modules on a pnp floor, end to end: a real orchestrator, the test PEA
behind the adapter, and simulated pnp modules, all over loopback gRPC and OPC UA."""

from __future__ import annotations

import asyncio

import pytest

from pnp.orchestrator.domain.attempts import AttemptState
from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.registry.leases import Liveness
from tests.conftest import start_factory
from tests.mtp.fermenter_pea import COMPLETED, IDLE, FermenterPea
from tests.mtp.peas import RECIPES, start_adapter, stop

pytestmark = [pytest.mark.servers, pytest.mark.slow]

# Factory seconds per real second: the catalog's purification (4.5 h) takes 3 s.
SCALE = 5000
FERMENT_ONLY = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: culture}
spec:
  product: culture
  quantity: 1
  steps:
    - {id: ferment, capability: bio.fermentation, parameters: {volume_l: 120, temperature_c: 30}}
"""


async def until(condition, what: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _stop_all(adapters: list) -> None:
    """Adapters first, while their PEAs still answer (as a person would unplug them)."""
    while adapters:
        await stop(adapters.pop())


def attempts_of(factory, order_id: str, capability: str):
    return [a for a in factory.attempts(order_id) if a.capability == capability]


async def test_a_biologic_order_runs_across_the_pea_and_pnp_modules(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE)
    adapters = []
    try:
        async with FermenterPea() as pea:
            _, task = await start_adapter(
                pea,
                module_id="fermenter-a1",
                dock="A1",
                orchestrator=running.address,
                time_scale=SCALE,
            )
            adapters.append(task)
            await running.plug_in("chromatography-skid", "A2", time_scale=SCALE)
            await running.plug_in("fill-finish", "A3", time_scale=SCALE)
            factory = running.factory
            recipe = (RECIPES / "biologic-mtp.yaml").read_text(encoding="utf-8")
            order = (await factory.submit_order(recipe, "biologic-mtp.yaml", "r1")).record
            await until(
                lambda: factory.order(order.order_id).state is OrderState.COMPLETED,
                "the order to complete",
            )
            done = {a.capability: a for a in factory.attempts(order.order_id)}
            assert all(a.state is AttemptState.COMPLETE for a in done.values())
            assert done["bio.fermentation"].module_id == "fermenter-a1"
            assert done["bio.harvest"].module_id == "fermenter-a1"
            assert done["bio.purification"].module_id == "chromatography-skid-a2"
            assert done["pharma.filling"].module_id == "fill-finish-a3"
            # The PEA's report values are the operation's results.
            ferment = done["bio.fermentation"]
            assert ferment.results["procedure"] == "fed_batch"
            assert ferment.results["titer_g_per_l"] == pytest.approx(2.7, rel=1e-6)
            assert done["bio.harvest"].results["harvest_volume"] == pytest.approx(190.0)
            # Each service ran once, with the order's values, and was left Idle.
            service = pea.services["Ferment"]
            assert service.runs == 1 and COMPLETED in service.history
            assert service.values == {"Volume": 200.0, "Temperature": 37.0, "FeedRate": 0.5}
            assert pea.services["Harvest"].values["Speed"] == 8000
            await until(lambda: service.state == IDLE, "the service to be reset")
            await _stop_all(adapters)
    finally:
        await _stop_all(adapters)
        await running.close()


async def test_a_pea_that_aborts_mid_service_fails_the_attempt_and_the_work_runs_on_another(
    tmp_path,
):
    running = await start_factory(tmp_path, time_scale=SCALE)
    adapters = []
    try:
        async with FermenterPea() as broken, FermenterPea() as sound:
            broken.fail_always("Ferment")  # every run aborts half-way
            adapter, task = await start_adapter(
                broken,
                module_id="fermenter-a1",
                dock="A1",
                orchestrator=running.address,
                time_scale=SCALE,
            )
            adapters.append(task)
            factory = running.factory
            order = (await factory.submit_order(FERMENT_ONLY, "culture.yaml", "r1")).record
            await until(
                lambda: any(
                    a.state is AttemptState.FAILED
                    for a in attempts_of(factory, order.order_id, "bio.fermentation")
                ),
                "the first attempt to fail",
            )
            # A second fermenter of the same type is plugged in; the failed module is
            # avoided now that another capable one exists.
            _, task = await start_adapter(
                sound,
                module_id="fermenter-b1",
                dock="B1",
                orchestrator=running.address,
                time_scale=SCALE,
            )
            adapters.append(task)
            await until(
                lambda: factory.order(order.order_id).state is OrderState.COMPLETED,
                "the order to complete",
            )
            history = attempts_of(factory, order.order_id, "bio.fermentation")
            first, last = history[0], history[-1]
            assert (first.module_id, first.state) == ("fermenter-a1", AttemptState.FAILED)
            assert "aborted" in first.error  # what pnp saw: the skill aborted
            skill = adapter.module.skills["bio.fermentation"]  # and the adapter's reason
            assert "Ferment went Aborted" in skill.history[first.execution_id].error
            assert (last.module_id, last.state) == ("fermenter-b1", AttemptState.COMPLETE)
            assert broken.services["Ferment"].runs >= 1 and sound.services["Ferment"].runs == 1
            await _stop_all(adapters)
    finally:
        await _stop_all(adapters)
        await running.close()


async def test_a_pea_that_drops_off_the_network_is_lost_like_any_module(tmp_path):
    running = await start_factory(tmp_path, time_scale=SCALE, heartbeat_interval=0.2, lease_ttl=1.0)
    adapters = []
    try:
        async with FermenterPea(seconds={"Ferment": 60}) as vanishing, FermenterPea() as sound:
            _, task = await start_adapter(
                vanishing,
                module_id="fermenter-a1",
                dock="A1",
                orchestrator=running.address,
                time_scale=SCALE,
                pea_grace=2.0,
            )
            adapters.append(task)
            factory = running.factory
            order = (await factory.submit_order(FERMENT_ONLY, "culture.yaml", "r1")).record
            await until(lambda: vanishing.services["Ferment"].runs == 1, "the service to start")
            _, task = await start_adapter(
                sound,
                module_id="fermenter-b1",
                dock="B1",
                orchestrator=running.address,
                time_scale=SCALE,
            )
            adapters.append(task)
            await vanishing.stop()  # the skid's network goes, mid-service
            await until(
                lambda: factory.module("fermenter-a1").entry.liveness is Liveness.LOST,
                "the module to be lost",
            )
            await until(
                lambda: factory.order(order.order_id).state is OrderState.COMPLETED,
                "the order to complete",
            )
            history = attempts_of(factory, order.order_id, "bio.fermentation")
            assert [(a.module_id, a.state) for a in history] == [
                ("fermenter-a1", AttemptState.FAILED),
                ("fermenter-b1", AttemptState.COMPLETE),
            ]
            await _stop_all(adapters)
    finally:
        await _stop_all(adapters)
        await running.close()


def registry_sessions_running() -> list[asyncio.Task]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and task.get_coro().__qualname__ == "RegistryClient.run"
    ]


async def test_a_stopped_adapter_leaves_no_registry_session_behind(tmp_path):
    # Left running, the session would register the module again after it left.
    running = await start_factory(tmp_path, time_scale=SCALE)
    try:
        async with FermenterPea() as pea:
            _, task = await start_adapter(
                pea,
                module_id="fermenter-a1",
                dock="A1",
                orchestrator=running.address,
                time_scale=SCALE,
            )
            assert registry_sessions_running()
            await stop(task)
            assert registry_sessions_running() == []
    finally:
        await running.close()
