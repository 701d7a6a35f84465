"""A secured module's OPC UA server: SignAndEncrypt only, to the orchestrator only;
and the orchestrator talks only to the module its link is for."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from asyncua import Client, ua
from asyncua.crypto import uacrypto
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from pnp.orchestrator.execution.opcua_link import ModuleLink
from pnp.orchestrator.security.tls_files import TlsFiles
from pnp.sdk.conformance import check_module
from pnp.sdk.security import ClientCredentials, ModuleSecurity
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from tests.security.conftest import MODULE_A, MODULE_B, ORCHESTRATOR

pytestmark = pytest.mark.servers

REFUSED = (ua.UaError, OSError, TimeoutError, ConnectionError, asyncio.TimeoutError)


@contextlib.asynccontextmanager
async def secured_module(
    factory_pki, module_id: str = "laser-a", certificate_of=None, time_scale: float = 1.0
):
    """A standalone simulated module serving OPC UA with the certificate of
    ``certificate_of`` (default: its own)."""
    files = factory_pki.files(certificate_of or MODULE_A)
    module = SimulatedModule(
        SimulatedModuleConfig(
            kind="laser-cutter",
            dock="A1",
            module_id=module_id,
            orchestrator=None,
            time_scale=time_scale,
            security=ModuleSecurity(files.ca, files.certificate, files.key),
        )
    )
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 15)
        yield module
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def connect_with(endpoint: str, files: TlsFiles | None, application_uri: str = "") -> None:
    """Connects a plain asyncua client (with ``files`` as its certificate, if any)."""
    client = Client(endpoint, timeout=5)
    if files is not None:
        client.application_uri = application_uri
        await client.set_security(
            SecurityPolicyBasic256Sha256,
            certificate=uacrypto.CertProperties(files.certificate, extension="pem"),
            private_key=uacrypto.CertProperties(files.key, extension="pem"),
            mode=ua.MessageSecurityMode.SignAndEncrypt,
        )
    await client.connect()
    await client.disconnect()


async def test_a_secured_module_offers_sign_and_encrypt_only(factory_pki):
    async with secured_module(factory_pki) as module:
        endpoints = await Client(module.endpoint, timeout=5).connect_and_get_server_endpoints()
    assert endpoints
    assert {e.SecurityMode for e in endpoints} == {ua.MessageSecurityMode.SignAndEncrypt}
    assert "http://opcfoundation.org/UA/SecurityPolicy#None" not in {
        e.SecurityPolicyUri for e in endpoints
    }


async def test_a_client_without_security_gets_no_session(factory_pki):
    async with secured_module(factory_pki) as module:
        with pytest.raises(REFUSED):
            await connect_with(module.endpoint, None)


async def test_a_certificate_from_another_ca_gets_no_session(factory_pki):
    async with secured_module(factory_pki) as module:
        with pytest.raises(REFUSED):
            await connect_with(module.endpoint, factory_pki.stranger(), "urn:pnp:module:laser-a")


async def test_another_modules_certificate_cannot_drive_this_module(factory_pki):
    async with secured_module(factory_pki) as module:
        with pytest.raises(REFUSED):
            await connect_with(
                module.endpoint, factory_pki.files(MODULE_B), "urn:pnp:module:laser-b"
            )


async def link_connects(factory_pki, module_id: str, endpoint: str, seconds: float) -> bool:
    security = factory_pki.files(ORCHESTRATOR)
    link = ModuleLink(module_id, endpoint, lambda: None, security=security)
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), seconds)
        return True
    except TimeoutError:
        return False
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_orchestrator_links_to_a_secured_module(factory_pki):
    async with secured_module(factory_pki) as module:
        assert await link_connects(factory_pki, "laser-a", module.endpoint, 15)


async def test_the_orchestrator_refuses_a_module_showing_another_modules_certificate(
    factory_pki,
):
    # laser-a registered this endpoint, but the server behind it is laser-b.
    async with secured_module(factory_pki, "laser-b", certificate_of=MODULE_B) as impostor:
        assert not await link_connects(factory_pki, "laser-a", impostor.endpoint, 3)


async def test_a_session_on_a_plain_channel_is_never_activated(factory_pki):
    """asyncua would let a client skip security: the channel opens with policy None even
    when no such endpoint is offered. A hand-made client that does so is refused at
    ActivateSession, and cannot read anything."""
    async with secured_module(factory_pki) as module:
        client = Client(module.endpoint, timeout=5)
        await client.connect_socket()
        try:
            await client.send_hello()
            await client.open_secure_channel()
            created = ua.CreateSessionParameters()
            created.ClientDescription = ua.ApplicationDescription(
                ApplicationUri="urn:attacker", ApplicationType=ua.ApplicationType.Client
            )
            created.EndpointUrl = module.endpoint
            created.SessionName = "plain"
            created.RequestedSessionTimeout = 10_000
            created.ClientNonce = b"\x00" * 32
            await client.uaclient.create_session(created)
            activation = ua.ActivateSessionParameters()
            activation.UserIdentityToken = ua.AnonymousIdentityToken(PolicyId="anonymous")
            with pytest.raises(ua.UaStatusCodeError) as refused:
                await client.uaclient.activate_session(activation)
            assert refused.value.code == ua.StatusCodes.BadUserAccessDenied
            with pytest.raises(ua.UaStatusCodeError):
                await client.nodes.server_state.read_value()
        finally:
            client.disconnect_socket()


async def test_the_conformance_kit_checks_a_secured_module_with_the_orchestrators_certificate(
    factory_pki,
):
    files = factory_pki.files(ORCHESTRATOR)
    credentials = ClientCredentials(files.ca, files.certificate, files.key)
    async with secured_module(factory_pki, time_scale=3000) as module:
        refused = await check_module(module.endpoint, timeout=10)
        results = await check_module(module.endpoint, timeout=10, credentials=credentials)
    assert [(r.name, r.passed) for r in refused] == [("connect", False)]
    assert [r for r in results if not r.passed] == []


async def test_a_stranger_cannot_advertise_servers_through_a_secured_module(factory_pki):
    async with secured_module(factory_pki) as module:
        client = Client(module.endpoint, timeout=5)
        await client.connect_socket()
        try:
            await client.send_hello()
            await client.open_secure_channel()
            fake = ua.RegisteredServer(
                ServerUri="urn:fake:server",
                ServerNames=[ua.LocalizedText("fake")],
                ServerType=ua.ApplicationType.Server,
                DiscoveryUrls=["opc.tcp://203.0.113.1:4840"],
                IsOnline=True,
            )
            with pytest.raises(ua.UaStatusCodeError) as refused:
                await client.uaclient.register_server(fake)
            assert refused.value.code == ua.StatusCodes.BadServiceUnsupported
        finally:
            client.disconnect_socket()
        assert "urn:fake:server" not in module.opcua.server.iserver._known_servers
