"""The console as an ASGI app (Starlette): the page, its JSON, its live events, /metrics.

Handlers are thin: they read documents (``documents``), call the factory's own methods
for the three actions (submit, cancel, drain) and what-if, and map the error tree to
HTTP once (``_STATUS``). Served over TLS (``secured``), every request first passes the
role gate (``roles``): reading needs a viewer's certificate, actions a planner's.
Actions take JSON bodies only: a browser sends a cross-site
JSON POST only after a CORS preflight this app never grants, and a request whose
``Origin`` is not this console's is refused outright.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pnp.orchestrator.api import convert
from pnp.orchestrator.domain.recipe_loader import MAX_RECIPE_BYTES
from pnp.orchestrator.errors import (
    BadInput,
    Conflict,
    NotFound,
    PermissionDenied,
    PnpError,
    ResourceExhausted,
    Unavailable,
    Violation,
)
from pnp.orchestrator.security.limits import MAX_WHAT_IF_CHANGES
from pnp.orchestrator.security.revocation import RevocationList
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.twin import TwinService
from pnp.orchestrator.web import documents
from pnp.orchestrator.web.aas_routes import aas_routes
from pnp.orchestrator.web.event_stream import StreamCursors, event_stream, first_sequence
from pnp.orchestrator.web.identity import caller_in, serial_in
from pnp.orchestrator.web.metrics import CONTENT_TYPE, ConsoleMetrics
from pnp.orchestrator.web.roles import RoleGate

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = MAX_RECIPE_BYTES + 64 * 1024  # a recipe, JSON-escaped, and its name

# Most specific first, as in api.status; anything else is a 500.
_STATUS: tuple[tuple[type[PnpError], int], ...] = (
    (BadInput, 400),
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (ResourceExhausted, 429),
    (Unavailable, 503),
)


def error_response(error: PnpError) -> JSONResponse:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 500)
    violations = getattr(error, "violations", [])
    return JSONResponse(
        {
            "error": error.message,
            "kind": type(error).__name__,
            # file:line first when the input came from a file, as the CLI prints them.
            "violations": [str(v) for v in violations],
        },
        status_code=status,
    )


def console_app(
    factory: Factory, secured: bool = False, revocations: RevocationList | None = None
) -> Starlette:
    """The console for ``factory``; ``secured``: served over TLS with client
    certificates, each request checked against its caller's role and ``revocations``."""
    cursors = StreamCursors()
    metrics = ConsoleMetrics(factory, cursors)

    async def page(request: Request) -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html")

    async def status(request: Request) -> Response:
        return JSONResponse(await documents.status_document(factory))

    async def gantt(request: Request) -> Response:
        return JSONResponse(await documents.gantt_document(factory))

    async def order(request: Request) -> Response:
        return JSONResponse(await documents.order_document(factory, request.path_params["id"]))

    async def order_package(request: Request) -> Response:
        order_id = request.path_params["id"]
        package = await factory.export_order(order_id)
        return Response(
            package.model_dump_json(indent=2),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{order_id}.json"'},
        )

    async def module(request: Request) -> Response:
        return JSONResponse(await documents.module_document(factory, request.path_params["id"]))

    async def events(request: Request) -> Response:
        after = first_sequence(
            factory, request.headers.get("last-event-id"), request.query_params.get("after")
        )
        return StreamingResponse(
            event_stream(factory, after, cursors),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def submit(request: Request) -> Response:
        body = await _json_body(request)
        text, filename = _text(body, "recipe"), _text(body, "filename") or "<upload>"
        request_id = _text(body, "request_id") or f"web-{uuid.uuid4()}"
        view = await factory.submit_order(text, filename, request_id)
        return JSONResponse({"order": documents.plain(convert.order_to_proto(view))})

    async def cancel(request: Request) -> Response:
        await _json_body(request)
        view = await factory.cancel_order(request.path_params["id"])
        return JSONResponse({"order": documents.plain(convert.order_to_proto(view))})

    async def drain(request: Request) -> Response:
        await _json_body(request)
        view = await factory.drain_module(request.path_params["id"])
        return JSONResponse({"module": documents.plain(convert.module_to_proto(view))})

    async def what_if(request: Request) -> Response:
        body = await _json_body(request)
        without, with_kinds = _names(body, "without"), _names(body, "with")
        if len(without) + len(with_kinds) > MAX_WHAT_IF_CHANGES:
            raise BadInput(
                "too many changes for one what-if",
                [Violation("with", f"at most {MAX_WHAT_IF_CHANGES} changes")],
            )
        current, alternative, current_kpis, alternative_kpis = await factory.what_if(
            without, with_kinds, []
        )
        return JSONResponse(
            {
                "current": documents.plain(convert.plan_to_proto(current)),
                "alternative": documents.plain(convert.plan_to_proto(alternative)),
                "current_kpis": documents.plain(convert.kpis_to_proto(current_kpis)),
                "alternative_kpis": documents.plain(convert.kpis_to_proto(alternative_kpis)),
            }
        )

    async def metrics_page(request: Request) -> Response:
        return Response(await metrics.scrape(), media_type=CONTENT_TYPE)

    async def me(request: Request) -> Response:
        caller = caller_in(request.scope)
        return JSONResponse(
            {
                "secured": secured,
                "caller": None if caller is None else str(caller.identity),
                "role": None if caller is None or caller.role is None else caller.role.value,
            }
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "serving", "last_event": factory.events.last_sequence})

    async def pnp_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PnpError)
        return error_response(error)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/status", status),
            Route("/api/gantt", gantt),
            Route("/api/orders", submit, methods=["POST"]),
            Route("/api/orders/{id}", order),
            Route("/api/orders/{id}/package", order_package),
            Route("/api/orders/{id}/cancel", cancel, methods=["POST"]),
            Route("/api/modules/{id}", module),
            Route("/api/modules/{id}/drain", drain, methods=["POST"]),
            Route("/api/what-if", what_if, methods=["POST"]),
            Route("/api/events", events),
            Route("/api/me", me),
            Route("/metrics", metrics_page),
            Route("/healthz", healthz),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *aas_routes(TwinService(factory)),
        ],
        exception_handlers={PnpError: pnp_error},
        middleware=[
            Middleware(
                RoleGate,
                caller_in=caller_in,
                serial_in=serial_in,
                refuse=error_response,
                secured=secured,
                revocations=revocations,
            )
        ],
    )
    app.state.streams = cursors
    return app


async def _json_body(request: Request) -> dict:
    """The action's JSON body, from this console's own pages only."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise PermissionDenied(f"actions are taken from this console's own pages, not {origin}")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadInput(
            "actions take a JSON body", [Violation("content-type", "use application/json")]
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BadInput(
                "request too large", [Violation("body", f"at most {MAX_BODY_BYTES} bytes")]
            )
    try:
        parsed = json.loads(body or b"{}")
    except ValueError as error:
        raise BadInput("body is not JSON", [Violation("body", str(error))]) from None
    if not isinstance(parsed, dict):
        raise BadInput("body is not a JSON object", [Violation("body", "send an object")])
    return parsed


def _text(body: dict, field: str) -> str:
    value = body.get(field, "")
    if not isinstance(value, str):
        raise BadInput(f"{field} must be text", [Violation(field, "must be a string")])
    return value


def _names(body: dict, field: str) -> list[str]:
    value = body.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{field} must be a list of names", [Violation(field, "a list of text")])
    return [v.strip() for v in value if v.strip()]
