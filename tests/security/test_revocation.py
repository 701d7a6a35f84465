"""Revocation on the wire, without a restart: after ``pnp pki revoke`` a planner's next
call is refused (gRPC and the console), a module is lost at its next heartbeat (its
session cut, the orchestrator's open OPC UA connection to it closed) and its
registration is refused; each names the revocation. A module holding the list refuses
a revoked orchestrator over OPC UA."""

from __future__ import annotations

import asyncio
import itertools

import grpc
import pytest

from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import PlannerRole
from pnp.orchestrator.security.revocation import revoke
from pnp.orchestrator.web.server import start_console
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc, registry_pb2, registry_pb2_grpc
from tests.conftest import start_factory
from tests.security.calls import register
from tests.security.conftest import (
    MODULE_A,
    MODULE_B,
    ORCHESTRATOR,
    PLANNER,
    VIEWER,
    FactoryPki,
    open_secure_factory,
)
from tests.security.test_opcua_security import link_connects, secured_module
from tests.web.test_console_roles import call, holding

pytestmark = pytest.mark.servers


@pytest.fixture
def own_pki(tmp_path_factory) -> FactoryPki:
    """A PKI of this test's own: revoking in the shared one would leak into other tests."""
    root = tmp_path_factory.mktemp("revocable-pki")
    pki.init_ca(root)
    for identity in (ORCHESTRATOR, PLANNER, MODULE_A, MODULE_B):
        pki.issue(root, identity)
    pki.issue(root, VIEWER, role=PlannerRole.VIEWER)
    return FactoryPki(root, root)


async def refusal(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return refused.value


async def test_a_revoked_planner_is_refused_at_its_next_call(tmp_path, own_pki):
    async with (
        open_secure_factory(tmp_path, own_pki) as running,
        running.channel(PLANNER) as anna,
        running.channel(VIEWER) as vera,
    ):
        stub = orchestrator_pb2_grpc.OrchestratorStub(anna)
        await stub.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5)

        revoke(own_pki.root, "anna")
        # The same connection: the list is consulted per call, not per handshake.
        refused = await refusal(stub.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5))
        others = orchestrator_pb2_grpc.OrchestratorStub(vera)
        await others.ListModules(orchestrator_pb2.ListModulesRequest(), timeout=5)

    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
    assert refused.details().startswith("the certificate of planner anna (serial ")
    assert "was revoked on" in refused.details()


async def next_event(factory, after: int, kind: str, subject: str, timeout: float = 30):
    async with asyncio.timeout(timeout):
        async for event in factory.events.watch(after):
            if (event.kind, event.subject) == (kind, subject):
                return event
    raise AssertionError(f"no {kind} for {subject}")


async def test_a_revoked_module_loses_its_session_and_cannot_register_again(tmp_path, own_pki):
    async with open_secure_factory(tmp_path, own_pki) as running:
        files = own_pki.files(MODULE_A)
        module = SimulatedModule(
            SimulatedModuleConfig(
                kind="laser-cutter",
                dock="A1",
                module_id="laser-a",
                orchestrator=running.address,
                security=ModuleSecurity(files.ca, files.certificate, files.key),
            )
        )
        task = asyncio.create_task(module.run())
        try:
            await asyncio.wait_for(module.client.registered.wait(), 20)
            after = running.factory.events.last_sequence

            revoke(own_pki.root, "laser-a")
            lost = await next_event(running.factory, after, "module.lost", "laser-a")

            async with running.channel(MODULE_A) as channel:
                refused = await refusal(register(channel, "laser-a", boot_id="boot-2"))
            async with running.channel(MODULE_B) as channel:
                await register(channel, "laser-b", dock="A2")  # others are untouched
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert lost.message == "certificate revoked"  # at its next heartbeat, not a lease later
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
    assert refused.details().startswith("the certificate of module laser-a (serial ")
    assert "was revoked on" in refused.details()


async def test_a_module_with_the_list_refuses_a_revoked_orchestrator_over_opc_ua(own_pki):
    """The module's folder holds the CA, so ``crl.pem`` beside it is the list it reads
    (here the same folder pnp pki revoke writes to; on a floor, copied there)."""
    async with secured_module(own_pki) as module:
        assert await link_connects(own_pki, "laser-a", module.endpoint, 15)
        revoke(own_pki.root, "orchestrator")
        assert not await link_connects(own_pki, "laser-a", module.endpoint, 3)


async def test_the_orchestrator_refuses_a_revoked_modules_opc_ua_server(own_pki):
    async with secured_module(own_pki) as module:
        assert await link_connects(own_pki, "laser-a", module.endpoint, 15)
        revoke(own_pki.root, "laser-a")
        assert not await link_connects(own_pki, "laser-a", module.endpoint, 3)


async def test_the_console_refuses_a_revoked_planner_and_audits_the_others(tmp_path, own_pki):
    running = await start_factory(tmp_path)
    console = await start_console(running.factory, "127.0.0.1:0", tls=own_pki.files(ORCHESTRATOR))
    try:
        module = await running.plug_in("paint-booth", "A3")
        drain = console.url + f"api/modules/{module.module_id}/drain"
        assert (await call(console.url + "api/status", holding(own_pki, PLANNER)))[0] == 200

        revoke(own_pki.root, "vera")
        refused, body = await call(console.url + "api/status", holding(own_pki, VIEWER))
        drained, _ = await call(drain, holding(own_pki, PLANNER), {})
        await running.factory.events.flush()
        events = [e async for e in running.factory.events.watch(0, follow=False)]
    finally:
        await console.stop()
        await running.close()

    assert refused == 403
    assert body["error"].startswith("the certificate of planner vera (viewer) (serial ")
    assert drained == 200
    [draining] = [e for e in events if e.kind == "module.draining"]
    assert draining.actor == "planner anna (planner)"


async def stubborn_session(channel, module_id: str, epoch: int, interval: float) -> None:
    """A module that does not give up its OPC UA server when revoked (a stolen unit, a
    device that ignores the refusal): it heartbeats until the orchestrator ends the
    session, and its OPC UA server stays up after that."""
    call = registry_pb2_grpc.ModuleRegistryStub(channel).Session()
    await call.write(
        registry_pb2.SessionRequest(
            hello=registry_pb2.SessionHello(module_id=module_id, epoch=epoch)
        )
    )

    async def beat() -> None:
        for sequence in itertools.count(1):
            await call.write(
                registry_pb2.SessionRequest(heartbeat=registry_pb2.Heartbeat(sequence=sequence))
            )
            await asyncio.sleep(interval)

    beating = asyncio.create_task(beat())
    try:
        while (await call.read()) is not grpc.aio.EOF:
            pass
    except grpc.aio.AioRpcError:
        pass  # the cut
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)


async def test_a_revoked_modules_open_connections_are_closed_within_one_lease(tmp_path, own_pki):
    """Both links: its gRPC session is cut at its next heartbeat, and the orchestrator's
    already-open OPC UA connection to its server is closed when its lease runs out,
    though the module keeps serving and never hangs up itself."""
    async with (
        open_secure_factory(tmp_path, own_pki) as running,
        secured_module(own_pki) as server,
        running.channel(MODULE_A) as channel,
    ):
        factory = running.factory
        answer = await registry_pb2_grpc.ModuleRegistryStub(channel).RegisterModule(
            registry_pb2.RegisterModuleRequest(
                descriptor=server.descriptor(), boot_id="boot-1", request_id="r-laser-a"
            ),
            timeout=5,
        )
        session = asyncio.create_task(
            stubborn_session(channel, "laser-a", answer.epoch, factory.settings.heartbeat_interval)
        )
        connections = server.opcua.server.bserver.clients  # the server's open connections
        async with asyncio.timeout(30):
            while not (
                "laser-a" in factory.executor.links
                and factory.executor.links["laser-a"][0].connected.is_set()
            ):
                await asyncio.sleep(0.05)
        assert len(connections) == 1  # the orchestrator's link
        after = factory.events.last_sequence

        revoke(own_pki.root, "laser-a")
        lost = await next_event(factory, after, "module.lost", "laser-a")
        await asyncio.wait_for(session, 10)  # the session's stream ended
        async with asyncio.timeout(30):
            while connections:
                await asyncio.sleep(0.05)
        assert "laser-a" not in factory.executor.links

    assert lost.message == "certificate revoked"
