"""The secured console over HTTPS, without a browser: who may read, who may act.

Served with the orchestrator's certificate from the factory PKI; each client presents
a certificate of its own (or none), as a browser holding it would. A viewer reads
every page and is refused every action with 403 naming the role it lacks; a planner
acts; a stranger without a certificate is told what it needs.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.error
import urllib.request

import pytest

from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.web.listen import console_address
from pnp.orchestrator.web.server import start_console
from tests.conftest import start_factory
from tests.security.conftest import (  # noqa: F401 (fixture)
    MODULE_A,
    ORCHESTRATOR,
    PLANNER,
    VIEWER,
    factory_pki,
)


@pytest.fixture
async def secured(tmp_path, factory_pki):  # noqa: F811
    running = await start_factory(tmp_path)
    console = await start_console(
        running.factory, "127.0.0.1:0", tls=factory_pki.files(ORCHESTRATOR)
    )
    try:
        yield running, console, factory_pki
    finally:
        await console.stop()
        await running.close()


def _call(url: str, context: ssl.SSLContext, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def call(url: str, context: ssl.SSLContext, body: dict | None = None):
    return await asyncio.to_thread(_call, url, context, body)


def holding(pki, identity=None) -> ssl.SSLContext:
    """A client trusting the factory CA and presenting ``identity``'s certificate."""
    context = ssl.create_default_context(cafile=str(pki.root / "ca.pem"))
    if identity is not None:
        files = pki.files(identity)
        context.load_cert_chain(str(files.certificate), str(files.key))
    return context


async def test_the_secured_console_is_https(secured):
    _, console, _ = secured
    assert console.url.startswith("https://127.0.0.1:")
    assert "viewers read, planners act" in console.exposure


async def test_a_viewer_reads_every_page_but_is_refused_a_drain(secured):
    running, console, pki = secured
    module = await running.plug_in("paint-booth", "A3")
    viewer = holding(pki, VIEWER)
    for page in ("", "api/status", "api/gantt", f"api/modules/{module.module_id}", "metrics"):
        status, _ = await asyncio.to_thread(_status_only, console.url + page, viewer)
        assert status == 200, page
    assert (await call(console.url + "api/me", viewer))[1] == {
        "secured": True,
        "caller": "planner vera",
        "role": "viewer",
    }

    status, body = await call(console.url + f"api/modules/{module.module_id}/drain", viewer, {})
    assert status == 403
    assert body["error"] == "planner vera (viewer) may not drain modules: it needs the planner role"
    assert body["kind"] == "PermissionDenied"
    assert not running.factory.module(module.module_id).entry.draining


def _status_only(url: str, context: ssl.SSLContext) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10, context=context) as answer:
        return answer.status, answer.read(100)


async def test_a_viewer_can_neither_submit_nor_ask_what_if(secured):
    running, console, pki = secured
    viewer = holding(pki, VIEWER)
    status, body = await call(console.url + "api/orders", viewer, {"recipe": "x"})
    assert (status, body["error"].endswith("needs the planner role")) == (403, True)
    status, body = await call(console.url + "api/what-if", viewer, {"without": []})
    assert (status, body["error"].endswith("needs the planner role")) == (403, True)
    assert running.factory.orders() == []


async def test_a_planner_drains(secured):
    running, console, pki = secured
    module = await running.plug_in("paint-booth", "A3")
    status, body = await call(
        console.url + f"api/modules/{module.module_id}/drain", holding(pki, PLANNER), {}
    )
    assert status == 200, body
    assert running.factory.module(module.module_id).entry.draining


async def test_without_a_certificate_the_console_says_what_it_needs(secured):
    _, console, pki = secured
    status, body = await call(console.url + "api/status", holding(pki))
    assert status == 403
    assert body["error"] == (
        "no certificate: to read the console you need a planner certificate with the viewer role"
    )


async def test_a_module_certificate_is_not_a_planner(secured):
    _, console, pki = secured
    module = holding(pki, MODULE_A)
    status, body = await call(console.url + "api/status", module)
    assert status == 403
    assert body["error"].startswith("module laser-a may not read the console")
    assert (await call(console.url + "healthz", module))[0] == 200


@pytest.mark.parametrize("listen", ["0.0.0.0:8080", "10.1.2.3:8080"])
def test_a_secured_console_may_listen_anywhere_and_a_plain_one_only_when_told(listen):
    assert console_address(listen, secured=True)[0] == listen.split(":")[0]
    assert console_address(listen, insecure=True)[0] == listen.split(":")[0]
    with pytest.raises(BadInput, match="loopback only") as refused:
        console_address(listen)
    assert "--web-insecure" in refused.value.violations[0].description
