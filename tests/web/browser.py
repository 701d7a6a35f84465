"""Headless Chromium driven by Selenium, for the web console's tests.

Debian's ``chromium`` and ``chromium-driver`` (`make chromium` installs both as root);
the driver is named by path and ``SE_OFFLINE`` is set, so Selenium Manager never
downloads anything. Tests skip, saying why, when either is missing. Selenium's calls
block: tests run them in a thread (``in_browser``) so the orchestrator, on the test's
event loop, keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
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


def start_chromium(scratch: Path, holding=None):
    """Headless Chromium; ``holding`` (a ``Holding``) gives it a certificate to show."""
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
    environment = None
    if holding is not None:
        environment = dict(os.environ, HOME=str(holding.install(scratch, profile)))
    service = Service(str(driver), log_output=str(scratch / "chromedriver.log"), env=environment)
    return webdriver.Chrome(service=service, options=options)


class Holding:
    """A client certificate for Chromium, the way a person's browser holds one.

    Chromium on Linux takes client certificates and trusted CAs from the NSS database
    in ``$HOME/.pki/nssdb`` (filled here with NSS's own ``certutil`` and ``pk12util``,
    Debian's libnss3-tools), and picks one without asking only for sites its profile
    says to (the ``auto_select_certificate`` content setting, the same one the
    AutoSelectCertificateForUrls policy sets): otherwise it would wait on a dialog
    nobody sees.
    """

    def __init__(self, ca: Path, certificate: Path, key: Path, origin: str) -> None:
        self.ca, self.certificate, self.key, self.origin = ca, certificate, key, origin

    def install(self, scratch: Path, profile: Path) -> Path:
        tools = [shutil.which(tool) for tool in ("certutil", "pk12util")]
        if not all(tools):
            pytest.skip("no certutil/pk12util (apt-get install libnss3-tools, or `make chromium`)")
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12

        home = scratch / "home"
        database = home / ".pki" / "nssdb"
        database.mkdir(parents=True, exist_ok=True)
        bundle = scratch / "identity.p12"
        bundle.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"pnp",
                serialization.load_pem_private_key(self.key.read_bytes(), None),
                x509.load_pem_x509_certificate(self.certificate.read_bytes()),
                None,
                serialization.BestAvailableEncryption(b"browser"),
            )
        )
        nss = f"sql:{database}"
        for command in (
            ["certutil", "-N", "-d", nss, "--empty-password"],
            ["certutil", "-A", "-d", nss, "-n", "pnp-factory-ca", "-t", "C,,", "-i", str(self.ca)],
            ["pk12util", "-i", str(bundle), "-d", nss, "-W", "browser", "-K", ""],
        ):
            subprocess.run(command, check=True, capture_output=True, timeout=60)
        preferences = profile / "Default" / "Preferences"
        preferences.parent.mkdir(parents=True, exist_ok=True)
        choice = {f"{self.origin},*": {"setting": {"filters": [{}]}}}
        preferences.write_text(
            json.dumps(
                {
                    "profile": {
                        "content_settings": {"exceptions": {"auto_select_certificate": choice}}
                    }
                }
            )
        )
        return home


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
