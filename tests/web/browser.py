"""Headless Chromium driven by Selenium, for the web console's tests.

Debian's ``chromium`` and ``chromium-driver`` (`make chromium` installs both as root);
the driver is named by path and ``SE_OFFLINE`` is set, so Selenium Manager never
downloads anything. Tests skip, saying why, when either is missing. Selenium's calls
block: tests run them in a thread (``in_browser``) so the orchestrator, on the test's
event loop, keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.views.browser import CHROMIUM_CANDIDATES

CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)


def chromium_and_driver() -> tuple[str, Path]:
    binary = next((shutil.which(c) for c in CHROMIUM_CANDIDATES if shutil.which(c)), None)
    if binary is None:
        pytest.skip("no Chromium installed (apt-get install chromium, or `make chromium` as root)")
    if not CHROMEDRIVER.exists():
        pytest.skip(f"no {CHROMEDRIVER} (apt-get install chromium-driver, or `make chromium`)")
    return binary, CHROMEDRIVER


def start_chromium(scratch: Path):
    binary, driver = chromium_and_driver()
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager reach the network
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    profile = scratch / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(str(driver), log_output=str(scratch / "chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


async def in_browser(work: Callable, *args):
    return await asyncio.to_thread(work, *args)


async def wait_for(driver, condition: Callable, timeout: float, message: str = ""):
    """Waits (in a thread, polling the DOM every 50 ms) until ``condition(driver)`` is
    true; an element replaced by a refresh while it was read just means: look again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.05,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )
    return await asyncio.to_thread(wait.until, condition, message)
