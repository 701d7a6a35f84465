"""The console's HTTP face without a browser: /metrics, /healthz, the JSON, the event
stream, the actions and their guards, on a real orchestrator served on port 0."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.web.listen import console_address
from pnp.orchestrator.web.server import start_console
from tests.conftest import RECIPES, start_factory


@pytest.fixture
async def floor(tmp_path):
    running = await start_factory(tmp_path)
    console = await start_console(running.factory, "127.0.0.1:0")
    try:
        yield running, console
    finally:
        await console.stop()
        await running.close()


def _call(url: str, body: dict | None = None, headers: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


async def call(url: str, body: dict | None = None, headers: dict | None = None):
    return await asyncio.to_thread(_call, url, body, headers)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_read_back_by_prometheus_own_parser(floor):
    running, console = floor
    await running.plug_in("laser-cutter", "A1")
    recipe = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
    await running.factory.submit_order(recipe, "city-bike-frame.yaml", "r1")
    await running.factory.plan(wait_for_current=True)

    status, headers, text = await call(console.url + "metrics")

    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=")
    found = samples(text)
    assert found[("pnp_modules", (("liveness", "alive"),))] == 1
    assert found[("pnp_modules", (("liveness", "lost"),))] == 0
    assert sum(v for (name, _), v in found.items() if name == "pnp_orders") == 1
    assert ("pnp_attempts", (("outcome", "failed"),)) in found
    assert found[("pnp_plan_version", ())] >= 1
    assert ("pnp_plan_solve_seconds", ()) in found
    assert found[("pnp_event_log_sequence", ())] == running.factory.events.last_sequence
    assert found[("pnp_event_log_lag_events", ())] == 0  # no stream open


async def test_healthz_says_serving(floor):
    _, console = floor
    status, _, body = await call(console.url + "healthz")
    assert status == 200
    assert json.loads(body)["status"] == "serving"


async def test_the_event_stream_replays_then_follows_with_ids(floor):
    running, console = floor

    def first_frames(count: int) -> list[str]:
        frames = []
        with urllib.request.urlopen(console.url + "api/events?after=0", timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            block: list[str] = []
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line:
                    block.append(line)
                    continue
                if any(b.startswith("id: ") for b in block):
                    frames.append("\n".join(block))
                if len(frames) == count:
                    return frames
                block = []
        return frames

    reading = asyncio.create_task(asyncio.to_thread(first_frames, 2))
    running.factory.events.emit("test.live", "factory", "after the replay")
    frames = await reading
    first = json.loads(frames[0].split("data: ", 1)[1])
    assert frames[0].startswith("id: 1\nevent: pnp\n")
    assert first["kind"] == "orchestrator.started"
    assert json.loads(frames[1].split("data: ", 1)[1])["kind"] == "test.live"


async def test_a_bad_recipe_is_refused_with_file_and_line(floor):
    running, console = floor
    status, _, body = await call(
        console.url + "api/orders",
        {"recipe": "apiVersion: pnp/v1\nkind: Order\nspec: 3\n", "filename": "bad.yaml"},
    )
    assert status == 400
    answer = json.loads(body)
    assert answer["kind"] == "BadInput"
    assert any(v.startswith("bad.yaml:") for v in answer["violations"])
    assert running.factory.orders() == []


async def test_an_action_from_another_site_is_refused(floor):
    running, console = floor
    recipe = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
    status, _, _ = await call(
        console.url + "api/orders",
        {"recipe": recipe, "filename": "x.yaml"},
        headers={"Origin": "http://evil.example"},
    )
    assert status == 403
    assert running.factory.orders() == []


async def test_an_action_needs_a_json_body(floor):
    _, console = floor
    request = urllib.request.Request(
        console.url + "api/orders", data=b"recipe=x", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    status, _, _ = await asyncio.to_thread(_send, request)
    assert status == 400


def _send(request):
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, None, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, None, error.read()


async def test_an_order_is_cancelled_and_its_package_downloaded(floor):
    _, console = floor
    recipe = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
    status, _, body = await call(
        console.url + "api/orders",
        {"recipe": recipe, "filename": "city-bike-frame.yaml", "request_id": "web-1"},
    )
    assert status == 200
    order_id = json.loads(body)["order"]["order_id"]

    status, _, body = await call(console.url + f"api/orders/{order_id}/cancel", {})
    assert status == 200
    assert json.loads(body)["order"]["state"] == "ORDER_STATE_ABORTED"

    status, headers, body = await call(console.url + f"api/orders/{order_id}/package")
    assert status == 200
    assert f'filename="{order_id}.json"' in headers["content-disposition"]
    assert json.loads(body)["order"]["order_id"] == order_id


async def test_an_unknown_order_is_not_found(floor):
    _, console = floor
    status, _, body = await call(console.url + "api/orders/ord-99999")
    assert status == 404
    assert "ord-99999" in json.loads(body)["error"]


@pytest.mark.parametrize("listen", ["0.0.0.0:8080", "10.1.2.3:8080", "example.com:80"])
def test_the_plain_console_listens_on_loopback_only(listen):
    with pytest.raises(BadInput, match="loopback only"):
        console_address(listen)


@pytest.mark.parametrize(
    ("listen", "expected"),
    [("8080", ("127.0.0.1", 8080)), ("[::1]:0", ("::1", 0)), ("localhost:9", ("localhost", 9))],
)
def test_a_console_address_defaults_to_loopback(listen, expected):
    assert console_address(listen) == expected
