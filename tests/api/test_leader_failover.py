"""Clients find the leader themselves: the CLI's client and a module's registry session,
given a list of replicas, reach the leader through a standby's redirect or past a
replica that died, with no operator action.

The leader is a real orchestrator (``open_orchestrator``); the standby is a real
grpc.aio server that answers as the cluster contract says a standby does
(``tests.replicas.Standby``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest

from pnp.orchestrator.api.runtime import open_orchestrator
from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.orchestrator.errors import Unavailable
from pnp.orchestrator.registry.leases import Liveness
from pnp.orchestrator.service.settings import FactorySettings
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from tests.cli.pnp_process import ENV, pnp
from tests.conftest import RECIPES
from tests.replicas import Standby, free_port

ORDER = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
SETTINGS = FactorySettings(solve_time_limit=5.0)
REGISTRY_SESSION = "/pnp.v1.ModuleRegistry/RegisterModule"


@contextlib.asynccontextmanager
async def leader(tmp_path: Path, port: int = 0):
    async with open_orchestrator(
        tmp_path / "pnp.db", listen=f"127.0.0.1:{port}", settings=SETTINGS, stop_grace=0.2
    ) as running:
        yield running


@contextlib.asynccontextmanager
async def module_running(orchestrators: str):
    module = SimulatedModule(
        SimulatedModuleConfig(kind="laser-cutter", dock="A1", orchestrator=orchestrators)
    )
    task = asyncio.create_task(module.run())
    try:
        yield module
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def registered_with(running, module: SimulatedModule, timeout: float = 30) -> None:
    """Until ``running`` holds a live session of ``module``."""
    async with asyncio.timeout(timeout):
        while True:
            entries = {v.entry.module_id: v.entry for v in running.factory.modules()}
            entry = entries.get(module.module_id)
            if entry is not None and entry.liveness is Liveness.ALIVE and entry.session_open:
                return
            await asyncio.sleep(0.05)


# -- the CLI's client -------------------------------------------------------------------


async def test_the_client_follows_a_standbys_redirect_to_the_leader(tmp_path):
    async with leader(tmp_path) as running, Standby(running.address) as standby:
        async with OrchestratorClient(f"{standby.address},{running.address}") as client:
            order = await client.submit_order(ORDER, "city-bike-frame.yaml", "req-1")
            assert [o.order_id for o in await client.list_orders()] == [order.order_id]
            assert client.seeker.current == running.address
        assert standby.calls == ["/pnp.v1.Orchestrator/SubmitOrder"]  # asked once, then never


async def test_the_client_goes_past_a_dead_replica_and_is_sent_on_to_a_leader_not_listed(
    tmp_path,
):
    dead = f"127.0.0.1:{free_port()}"
    async with leader(tmp_path) as running, Standby(running.address) as standby:
        async with OrchestratorClient(f"{dead},{standby.address}") as client:
            assert list(await client.list_orders()) == []
            assert client.seeker.current == running.address
        assert standby.calls == ["/pnp.v1.Orchestrator/ListOrders"]


async def test_the_event_stream_reaches_the_leader_through_a_standby(tmp_path):
    async with leader(tmp_path) as running, Standby(running.address) as standby:
        await running.factory.submit_order(ORDER, "city-bike-frame.yaml", "req-1")
        async with OrchestratorClient(f"{standby.address},{running.address}") as client:
            stream = client.watch_events()
            try:
                first = await asyncio.wait_for(stream.read(), 10)
            finally:
                stream.cancel()
        assert first.event.sequence >= 1
        assert standby.calls == ["/pnp.v1.Orchestrator/WatchEvents"]


async def test_a_followed_event_stream_goes_on_at_the_next_leader_after_the_last_event(
    tmp_path,
):
    async with contextlib.AsyncExitStack() as first_alive:
        first = await first_alive.enter_async_context(leader(tmp_path))
        await first.factory.submit_order(ORDER, "city-bike-frame.yaml", "req-1")
        second = f"127.0.0.1:{free_port()}"
        async with OrchestratorClient(f"{first.address},{second}", deadline=30) as client:
            stream = client.watch_events()
            try:
                seen = [(await asyncio.wait_for(stream.read(), 10)).event]
                await first_alive.aclose()  # the leader dies mid-stream
                port = int(second.rsplit(":", 1)[1])
                async with leader(tmp_path, port=port) as taken_over:
                    order = await taken_over.factory.submit_order(
                        ORDER, "city-bike-frame.yaml", "req-2"
                    )
                    while order.record.order_id not in seen[-1].subject:
                        seen.append((await asyncio.wait_for(stream.read(), 30)).event)
            finally:
                stream.cancel()
    sequences = [event.sequence for event in seen]
    assert sequences == sorted(set(sequences))  # nothing twice, nothing out of order
    assert client.seeker.current == second


async def test_a_standby_that_knows_no_leader_is_asked_again_until_the_deadline():
    async with Standby(leader="") as standby:
        async with OrchestratorClient(standby.address, deadline=1.0) as client:
            with pytest.raises(Unavailable, match="a standby replica"):
                await client.list_orders()
        assert len(standby.calls) >= 2


async def test_the_pnp_command_finds_the_leader_through_a_standby(tmp_path):
    async with leader(tmp_path) as running, Standby(running.address) as standby:
        await running.factory.submit_order(ORDER, "city-bike-frame.yaml", "req-1")
        addresses = f"{standby.address},{running.address}"
        done = await asyncio.to_thread(pnp, "--orchestrator", addresses, "orders", "--json")
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)["orders"]) == 1
        dead = f"127.0.0.1:{free_port()}"
        environment = {**ENV, "PNP_ORCHESTRATOR": f"{dead},{standby.address}"}
        done = await asyncio.to_thread(pnp, "orders", "--json", env=environment)
        assert done.returncode == 0, done.stderr


# -- a module's registry session ------------------------------------------------------


async def test_a_module_given_standby_then_leader_registers_with_the_leader(tmp_path):
    async with leader(tmp_path) as running, Standby(running.address) as standby:
        async with module_running(f"{standby.address},{running.address}") as module:
            await registered_with(running, module)
            assert module.client.seeker.current == running.address
        assert REGISTRY_SESSION in standby.calls


async def test_a_module_given_a_dead_replica_then_a_standby_registers_with_the_leader(tmp_path):
    dead = f"127.0.0.1:{free_port()}"
    async with (
        leader(tmp_path) as running,
        Standby(running.address) as standby,
        module_running(f"{dead},{standby.address}") as module,
    ):
        await registered_with(running, module)
        assert module.client.seeker.current == running.address


async def test_a_module_rejoins_when_its_first_orchestrator_dies_and_the_second_comes_up(
    tmp_path,
):
    async with contextlib.AsyncExitStack() as first_alive:
        first = await first_alive.enter_async_context(leader(tmp_path))
        second = f"127.0.0.1:{free_port()}"  # nothing there yet (and not the first's port)
        async with module_running(f"{first.address},{second}") as module:
            await registered_with(first, module)
            await first_alive.aclose()  # the first orchestrator dies; the module runs on
            # The next one takes over the same database at the second address.
            async with leader(tmp_path, port=int(second.rsplit(":", 1)[1])) as taken_over:
                await registered_with(taken_over, module)
                assert module.client.seeker.current == second
