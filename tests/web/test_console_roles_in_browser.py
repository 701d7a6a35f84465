"""The secured console in a real headless Chromium holding a certificate of the factory
PKI: a viewer sees the floor but its drain is refused on the page; a planner's works."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from pnp.orchestrator.web.server import start_console
from tests.conftest import start_factory
from tests.security.conftest import ORCHESTRATOR, PLANNER, VIEWER, factory_pki  # noqa: F401
from tests.web.browser import Holding, in_browser, start_chromium, wait_for
from tests.web.test_console_in_browser import confirm, open_page


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


@pytest.fixture
def browser_of(tmp_path):
    """Starts a Chromium holding a given identity's certificate (quit at the end)."""
    drivers = []

    def start(pki, identity, origin: str):
        files = pki.files(identity)
        holding = Holding(files.ca, files.certificate, files.key, origin)
        driver = start_chromium(tmp_path / identity.name, holding)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


def who(driver) -> str:
    return driver.find_element(By.ID, "who").text


async def test_a_viewer_cannot_drain_from_the_page(secured, browser_of):
    running, console, pki = secured
    module = await running.plug_in("paint-booth", "A3")
    browser = await in_browser(browser_of, pki, VIEWER, console.url.rstrip("/"))
    await open_page(browser, console.url + f"#/modules/{module.module_id}")
    await wait_for(browser, lambda d: who(d) == "planner vera, viewer", 5, "identity not shown")

    await confirm(browser, "drain-module")
    shown = await wait_for(browser, lambda d: d.find_element(By.ID, "action-errors").text, 10)
    assert "planner vera (viewer) may not drain modules: it needs the planner role" in shown
    assert not running.factory.module(module.module_id).entry.draining


async def test_a_planner_drains_from_the_page(secured, browser_of):
    running, console, pki = secured
    module = await running.plug_in("paint-booth", "A3")
    browser = await in_browser(browser_of, pki, PLANNER, console.url.rstrip("/"))
    await open_page(browser, console.url + f"#/modules/{module.module_id}")
    await wait_for(browser, lambda d: who(d) == "planner anna, planner", 5, "identity not shown")

    await confirm(browser, "drain-module")
    await wait_for(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, '#module-state[data-floor-state="released"]'),
        10,
        "the module page never showed it released",
    )
    assert running.factory.module(module.module_id).entry.released
