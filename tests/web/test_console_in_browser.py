"""The console in a real headless Chromium, on a real orchestrator and simulated modules.

Each test opens the console served next to the orchestrator (port 0), changes the floor
the way a person would (plug in, kill, upload a recipe, drain) and waits for the page
to show it, within the time the console promises; no sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from selenium.webdriver.common.by import By

from pnp.orchestrator.web.server import start_console
from tests.conftest import start_factory
from tests.web.browser import in_browser, start_chromium, wait_for

LEASE_TTL = 2.0

# Eight plates in lots of two: four cut operations, minutes each in real time, so the
# plan holds still while the test looks at it.
PLATES = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: plates-from-the-browser}
spec:
  product: plate
  quantity: 8
  lot_size: 2
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
"""

BROKEN = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: broken}
spec:
  product: plate
  quantity: 0
  steps:
    - {id: cut, capability: cutting.laser}
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def floor(tmp_path):
    running = await start_factory(tmp_path, lease_ttl=LEASE_TTL)
    console = await start_console(running.factory, "127.0.0.1:0")
    try:
        yield running, console
    finally:
        await console.stop()
        await running.close()


async def open_page(browser, url: str) -> None:
    await in_browser(browser.get, url)
    await wait_for(browser, rendered, 10, "the console did not render")
    await wait_for(browser, live, 10, "the event stream did not connect")


def rendered(driver) -> bool:
    return bool(driver.find_element(By.ID, "page").get_attribute("data-rendered"))


def live(driver) -> bool:
    return driver.find_element(By.ID, "live").get_attribute("data-live") == "live"


def module_shown(module_id: str, state: str | None = None):
    selector = f'#floor g.module[data-module-id="{module_id}"]'
    if state is not None:
        selector += f'[data-floor-state="{state}"]'
    return lambda driver: driver.find_elements(By.CSS_SELECTOR, selector)


async def confirm(browser, button_id: str) -> None:
    await in_browser(lambda: browser.find_element(By.ID, button_id).click())
    await wait_for(browser, lambda d: d.find_element(By.ID, "confirm").is_displayed(), 5)
    await in_browser(lambda: browser.find_element(By.ID, "confirm-yes").click())


@contextlib.asynccontextmanager
async def crashable_module(running, kind: str, dock: str):
    """A simulated module that can be killed: gone without deregistering, as a crashed
    process or a pulled cable would be (the session drops, heartbeats stop)."""
    from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig

    module = SimulatedModule(
        SimulatedModuleConfig(kind=kind, dock=dock, orchestrator=running.address)
    )

    async def no_goodbye() -> None:
        return None

    module.client.deregister = no_goodbye
    task = asyncio.create_task(module.run())
    await asyncio.wait_for(module.client.registered.wait(), 30)
    try:
        yield module, task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_module_plugged_in_appears_on_the_floor_within_two_seconds(floor, browser):
    running, console = floor
    await open_page(browser, console.url + "#/floor")

    module = await running.plug_in("laser-cutter", "A1")
    registered = time.monotonic()
    await wait_for(browser, module_shown(module.module_id, "alive"), 2.0, "not on the floor")
    assert time.monotonic() - registered < 2.0
    row = f'#modules tr[data-module-id="{module.module_id}"]'
    await wait_for(browser, lambda d: "A1" in d.find_element(By.CSS_SELECTOR, row).text, 2.0)


async def test_a_killed_module_shows_lost_within_the_lease_and_a_second(floor, browser):
    running, console = floor
    async with crashable_module(running, "vision-inspection", "A4") as (module, task):
        await open_page(browser, console.url + "#/floor")
        await wait_for(browser, module_shown(module.module_id, "alive"), 5)

        task.cancel()
        killed = time.monotonic()
        await wait_for(
            browser, module_shown(module.module_id, "lost"), LEASE_TTL + 1.0, "never shown lost"
        )
        assert time.monotonic() - killed < LEASE_TTL + 1.0


async def test_a_recipe_uploaded_through_the_page_becomes_an_order_drawn_in_the_gantt(
    floor, browser, tmp_path
):
    running, console = floor
    await running.plug_in("laser-cutter", "A1")
    await running.plug_in("multi-laser", "C2")
    recipe = tmp_path / "plates.yaml"
    recipe.write_text(PLATES)
    await open_page(browser, console.url + "#/orders")

    await in_browser(lambda: browser.find_element(By.ID, "recipe-file").send_keys(str(recipe)))
    await confirm(browser, "submit-recipe")
    await wait_for(browser, lambda d: "submitted" in d.find_element(By.ID, "action-ok").text, 10)
    [order] = running.factory.orders()
    assert order.record.name == "plates-from-the-browser"
    assert order.record.source == "plates.yaml"
    await wait_for(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f'#orders tr[data-order-id="{order.record.order_id}"]'
        ),
        5,
    )

    plan = await running.factory.plan(wait_for_current=True)
    planned = {a.operation_id for a in plan.assignments}
    assert len(planned) == 4
    await in_browser(browser.get, console.url + "#/gantt")

    def drawn(driver) -> set[str]:
        bars = driver.find_elements(By.CSS_SELECTOR, "#gantt rect.planned")
        return {b.get_attribute("data-operation-id") for b in bars}

    await wait_for(browser, lambda d: drawn(d) == planned, 10, "not every operation drawn")
    assert await in_browser(browser.find_elements, By.ID, "now-line")


async def test_a_broken_recipe_is_refused_with_file_and_line_on_the_page(floor, browser, tmp_path):
    running, console = floor
    recipe = tmp_path / "broken.yaml"
    recipe.write_text(BROKEN)
    await open_page(browser, console.url + "#/orders")

    await in_browser(lambda: browser.find_element(By.ID, "recipe-file").send_keys(str(recipe)))
    await confirm(browser, "submit-recipe")
    shown = await wait_for(browser, lambda d: d.find_element(By.ID, "action-errors").text, 10)
    assert "broken.yaml:6" in shown  # quantity: 0, where `pnp recipe validate` points
    assert running.factory.orders() == []


async def test_a_drain_from_the_page_releases_the_module(floor, browser):
    running, console = floor
    module = await running.plug_in("paint-booth", "A3")
    await open_page(browser, console.url + f"#/modules/{module.module_id}")

    await confirm(browser, "drain-module")
    await wait_for(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, '#module-state[data-floor-state="released"]'),
        10,
        "the module page never showed it released",
    )
    assert running.factory.module(module.module_id).entry.released
