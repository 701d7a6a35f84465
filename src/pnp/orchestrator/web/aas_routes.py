"""The AAS HTTP API (IDTA 01002 Part 2), read-only, next to the console.

Every module the factory knows is a shell (``twin.aas``). The paths are the
specification's, with identifiers base64url-encoded (no padding) in the path::

    GET /shells                                       all shells (paged result)
    GET /shells/{aasIdentifier}                       one shell
    GET /shells/{aasIdentifier}/submodel-refs         its submodel references
    GET /shells/{aasIdentifier}/submodels/{submodelIdentifier}
    GET /submodels                                    all submodels (paged result)
    GET /submodels/{submodelIdentifier}               one submodel
    GET /submodels/{submodelIdentifier}/$value        its value-only serialization
    GET /submodels/{submodelIdentifier}/submodel-elements/{idShortPath}[/$value]

Collections answer ``{"result": [...], "paging_metadata": {}}`` (everything in one page:
a factory has hundreds of modules, not millions); errors answer the specification's
``{"messages": [{"code", "messageType", "text", "timestamp"}]}``. Writes are not offered:
the twin is the factory's record, changed by what happens on the floor only.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from basyx.aas import model
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pnp.orchestrator.errors import BadInput, NotFound, PnpError, Violation
from pnp.orchestrator.service.twin import TwinService
from pnp.orchestrator.twin.aas import Shell, to_json, value_only

_Handler = Callable[[Request], Awaitable[Response]]


def aas_routes(twin: TwinService) -> list[Route]:
    async def shells(request: Request) -> Response:
        return _page([to_json(s.shell) for s in await twin.shells()])

    async def shell(request: Request) -> Response:
        return JSONResponse(to_json((await _shell(twin, request)).shell))

    async def submodel_refs(request: Request) -> Response:
        found = await _shell(twin, request)
        return _page([to_json(ref) for ref in _ordered_refs(found)])

    async def submodels(request: Request) -> Response:
        return _page([to_json(sm) for s in await twin.shells() for sm in s.submodels])

    async def submodel(request: Request) -> Response:
        return JSONResponse(to_json(await _submodel(twin, request)))

    async def submodel_value(request: Request) -> Response:
        return JSONResponse(value_only(await _submodel(twin, request)))

    async def element(request: Request) -> Response:
        return JSONResponse(to_json(await _element(twin, request)))

    async def element_value(request: Request) -> Response:
        return JSONResponse(value_only(await _element(twin, request)))

    shell_path = "/shells/{aas_id}"
    submodel_path = "/submodels/{submodel_id}"
    element_path = submodel_path + "/submodel-elements/{id_short_path}"
    return [
        Route("/shells", _aas_errors(shells)),
        Route(shell_path, _aas_errors(shell)),
        Route(shell_path + "/submodel-refs", _aas_errors(submodel_refs)),
        Route(shell_path + "/submodels/{submodel_id}", _aas_errors(submodel)),
        Route(shell_path + "/submodels/{submodel_id}/$value", _aas_errors(submodel_value)),
        Route("/submodels", _aas_errors(submodels)),
        Route(submodel_path, _aas_errors(submodel)),
        Route(submodel_path + "/$value", _aas_errors(submodel_value)),
        Route(element_path, _aas_errors(element)),
        Route(element_path + "/$value", _aas_errors(element_value)),
    ]


def encode_id(identifier: str) -> str:
    """An identifier as the API's paths carry it: base64url without padding."""
    return base64.urlsafe_b64encode(identifier.encode()).rstrip(b"=").decode("ascii")


def decode_id(encoded: str, field: str) -> str:
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        raise BadInput(
            f"{encoded!r} is not a base64url-encoded identifier",
            [Violation(field, "encode the identifier with base64url")],
        ) from None


async def _shell(twin: TwinService, request: Request) -> Shell:
    identifier = decode_id(request.path_params["aas_id"], "aasIdentifier")
    prefix = "urn:pnp:aas:"
    if not identifier.startswith(prefix):
        raise NotFound(f"no shell {identifier!r} here (shells are {prefix}<module id>)")
    return await twin.shell(identifier[len(prefix) :])


async def _submodel(twin: TwinService, request: Request) -> model.Submodel:
    identifier = decode_id(request.path_params["submodel_id"], "submodelIdentifier")
    if "aas_id" in request.path_params:
        found = [await _shell(twin, request)]
    else:
        module_id = identifier.removeprefix("urn:pnp:aas:").rpartition(":")[0]
        found = [await twin.shell(module_id)] if module_id else []
    for shell in found:
        for candidate in shell.submodels:
            if candidate.id == identifier:
                return candidate
    raise NotFound(f"no submodel {identifier!r} here")


async def _element(twin: TwinService, request: Request) -> model.SubmodelElement:
    submodel = await _submodel(twin, request)
    path = request.path_params["id_short_path"]
    current: Any = submodel
    for part in path.split("."):
        try:
            current = current.get_referable(part)
        except (KeyError, AttributeError, TypeError):
            raise NotFound(f"no element {path!r} in submodel {submodel.id!r}") from None
    return current


def _ordered_refs(shell: Shell) -> list[model.ModelReference]:
    return [model.ModelReference.from_referable(s) for s in shell.submodels]


def _page(items: list[Any]) -> JSONResponse:
    return JSONResponse({"result": items, "paging_metadata": {}})


_CODES: tuple[tuple[type[PnpError], int], ...] = ((BadInput, 400), (NotFound, 404))


def _aas_errors(handler: _Handler) -> _Handler:
    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except PnpError as error:
            code = next((c for kind, c in _CODES if isinstance(error, kind)), 500)
            return JSONResponse(
                {
                    "messages": [
                        {
                            "code": str(code),
                            "messageType": "Error",
                            "text": error.message,
                            "timestamp": datetime.now(UTC).isoformat(),
                        }
                    ]
                },
                status_code=code,
            )

    return answer
