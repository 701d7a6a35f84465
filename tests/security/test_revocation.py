"""Revocation on the wire, without a restart: after ``pnp pki revoke`` a planner's next
call is refused (gRPC and the console), a module's session is cut at its next heartbeat
so it is lost within its lease, and its registration is refused; each names the
revocation. A module holding the list refuses a revoked orchestrator over OPC UA."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import PlannerRole
from pnp.orchestrator.security.revocation import revoke
from pnp.orchestrator.web.server import start_console
from pnp.sdk.security import ModuleSecurity
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
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
            cut = await next_event(running.factory, after, "module.suspect", "laser-a")
            lost = await next_event(running.factory, after, "module.lost", "laser-a")

            async with running.channel(MODULE_A) as channel:
                refused = await refusal(register(channel, "laser-a", boot_id="boot-2"))
            async with running.channel(MODULE_B) as channel:
                await register(channel, "laser-b", dock="A2")  # others are untouched
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert cut.message == "session dropped"
    assert lost.message == "lease expired"
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
