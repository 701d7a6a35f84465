"""The error tree mapped to gRPC, once, in both directions.

Server side, ``maps_errors`` turns a ``PnpError`` into a status code plus a
``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer: ``BadRequest`` field
violations for bad input, an ``ErrorInfo`` (domain ``pnp``, reason = error class) for
the rest. Client side, ``error_from_rpc`` turns that back into the same ``PnpError``.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from pnp.orchestrator.errors import (
    AlreadyExists,
    BadInput,
    Conflict,
    Fenced,
    Internal,
    LeaseExpired,
    NotFound,
    PermissionDenied,
    PnpError,
    ResourceExhausted,
    StorageFull,
    Unavailable,
    Unsupported,
    Violation,
)

log = logging.getLogger(__name__)

DETAILS_KEY = "grpc-status-details-bin"
DOMAIN = "pnp"
# Statuses travel in HTTP/2 trailers, and clients drop a call whose metadata passes 16 KiB
# (RESOURCE_EXHAUSTED instead of our status): a descriptor with hundreds of problems
# must still arrive as INVALID_ARGUMENT. Details are base64-encoded on the wire (+1/3),
# the message percent-encoded (up to 12 characters for one non-ASCII character).
MAX_DETAILS_BYTES = 4 * 1024
MAX_MESSAGE_CHARS = 500
MAX_DESCRIPTION_CHARS = 300
# A violation's location travels at the front of its description: "recipe.yaml:14: ...".
_LOCATED = re.compile(r"^(?P<location>[^\s:][^:]*:\d+): (?P<description>.*)$", re.DOTALL)

# Most specific first: the first matching class wins.
_TO_CODE: tuple[tuple[type[PnpError], grpc.StatusCode], ...] = (
    (BadInput, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (Fenced, grpc.StatusCode.FAILED_PRECONDITION),
    (Conflict, grpc.StatusCode.FAILED_PRECONDITION),
    (LeaseExpired, grpc.StatusCode.ABORTED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (Unsupported, grpc.StatusCode.UNIMPLEMENTED),
    (StorageFull, grpc.StatusCode.UNAVAILABLE),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
    (Internal, grpc.StatusCode.INTERNAL),
)
_BY_REASON = {cls.__name__: cls for cls, _ in _TO_CODE}
_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: BadInput,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: Conflict,
    grpc.StatusCode.ABORTED: LeaseExpired,
    grpc.StatusCode.UNIMPLEMENTED: Unsupported,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: PermissionDenied,
    grpc.StatusCode.CANCELLED: Unavailable,
}


def grpc_code(error: PnpError) -> grpc.StatusCode:
    return next(code for cls, code in _TO_CODE if isinstance(error, cls))


def rich_status(error: PnpError) -> status_pb2.Status:
    code = grpc_code(error)
    detail = any_pb2.Any()
    if isinstance(error, BadInput):
        detail.Pack(_bad_request(error.violations))
    else:
        detail.Pack(error_details_pb2.ErrorInfo(reason=type(error).__name__, domain=DOMAIN))
    return status_pb2.Status(
        code=code.value[0], message=_cut(str(error), MAX_MESSAGE_CHARS), details=[detail]
    )


def _bad_request(violations: list[Violation]) -> error_details_pb2.BadRequest:
    """As many violations as fit the trailer budget, in order; then how many were left out."""
    request = error_details_pb2.BadRequest()
    for shown, v in enumerate(violations):
        description = f"{v.location}: {v.description}" if v.location else v.description
        request.field_violations.add(
            field=_cut(v.field, MAX_DESCRIPTION_CHARS),
            description=_cut(description, MAX_DESCRIPTION_CHARS),
        )
        if request.ByteSize() > MAX_DETAILS_BYTES:
            del request.field_violations[-1]
            request.field_violations.add(
                field="", description=f"... and {len(violations) - shown} more problems"
            )
            break
    return request


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def abort_with(context: grpc.aio.ServicerContext, error: PnpError) -> None:
    """Ends the call with the status ``error`` maps to (raises, as context.abort does)."""
    status = rich_status(error)
    await context.abort(
        grpc_code(error),
        status.message,
        trailing_metadata=((DETAILS_KEY, status.SerializeToString()),),
    )


def maps_errors(method):
    """Wraps a servicer method (unary or server-streaming) so PnpErrors become statuses."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def streaming(self, request, context):
            try:
                async for item in method(self, request, context):
                    yield item
            except PnpError as error:
                await abort_with(context, error)
            except Exception as bug:
                await abort_with(context, _internal(method, bug))

        return streaming

    @functools.wraps(method)
    async def unary(self, request, context):
        try:
            return await method(self, request, context)
        except PnpError as error:
            await abort_with(context, error)
        except Exception as bug:
            await abort_with(context, _internal(method, bug))

    return unary


def _internal(method, bug: Exception) -> Internal:
    # A bug, not a user mistake: log it whole here, tell the caller what failed.
    log.exception("%s failed", method.__name__, exc_info=bug)
    return Internal(f"{method.__name__} failed ({type(bug).__name__}: {bug}); please report it")


def error_from_rpc(error: grpc.aio.AioRpcError) -> PnpError:
    """The PnpError a failed call stands for, with field violations when there are any."""
    message = error.details() or error.code().name
    status = _details(error)
    if error.code() is grpc.StatusCode.UNAVAILABLE and status is None:
        return Unavailable(f"cannot reach the orchestrator: {message}")
    if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
        return Unavailable(f"the orchestrator did not answer in time: {message}")
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                return BadInput(message, [_violation(v) for v in bad.field_violations])
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                if info.domain == DOMAIN and info.reason in _BY_REASON:
                    return _BY_REASON[info.reason](message)
    cls = _BY_CODE.get(error.code(), Internal)
    return cls(message)


def _violation(wire: error_details_pb2.BadRequest.FieldViolation) -> Violation:
    located = _LOCATED.match(wire.description)
    if located is None:
        return Violation(field=wire.field, description=wire.description)
    return Violation(wire.field, located["description"], located["location"])


def _details(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY:
            status = status_pb2.Status()
            status.ParseFromString(value)
            return status
    return None
