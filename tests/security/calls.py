"""Small helpers the adversarial tests share: raw registry calls and their refusals."""

from __future__ import annotations

import grpc

from pnp.v1 import registry_pb2, registry_pb2_grpc
from tests.security.conftest import descriptor


async def status_of(call) -> grpc.StatusCode:
    """The status a call ends with (OK when it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def register(channel, module_id: str, boot_id: str = "boot-1", **descriptor_fields):
    request = registry_pb2.RegisterModuleRequest(
        descriptor=descriptor(module_id, **descriptor_fields),
        boot_id=boot_id,
        request_id=f"r-{module_id}-{boot_id}",
    )
    return registry_pb2_grpc.ModuleRegistryStub(channel).RegisterModule(request, timeout=5)


async def session_refusal(channel, module_id: str, epoch: int) -> grpc.StatusCode:
    """Opens a Session as ``module_id``/``epoch`` and returns how the server ends it.

    Only the hello is sent before reading: the server decides on it, and a client that
    keeps writing into a stream the server has ended gets grpc's "Internal error from
    Core" instead of the server's status. (Nothing after a refused hello is read.)
    """
    call = registry_pb2_grpc.ModuleRegistryStub(channel).Session(timeout=5)
    hello = registry_pb2.SessionHello(module_id=module_id, epoch=epoch)
    try:
        await call.write(registry_pb2.SessionRequest(hello=hello))
        while (await call.read()) is not grpc.aio.EOF:
            await call.write(
                registry_pb2.SessionRequest(state=registry_pb2.StateReport(item_state=4))
            )
    except grpc.aio.AioRpcError:
        pass
    return await call.code()
