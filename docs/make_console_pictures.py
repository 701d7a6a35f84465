"""Makes the web console's pictures in docs/planners.md from the real console.

Starts `pnp serve --web` with the demo layout and the floor of `make_pictures.py`,
submits the example orders, lets the factory work for a while, then opens the console
in headless Chromium (Debian's chromium and chromium-driver, `make chromium`; Selenium
is told never to download a browser) and saves the Floor, Orders and Gantt pages to
docs/images/console-*.png.

    .venv/bin/python docs/make_console_pictures.py [--out docs/images] [--time-scale 120]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from make_pictures import FLOOR, LAYOUT, ORDERS, REPO, Process, pnp

PAGES = ("floor", "orders", "gantt")


def screenshots(url: str, out: Path, scratch: Path) -> None:
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1400,1000",
        f"--user-data-dir={scratch / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for page in PAGES:
            driver.get(f"{url}#/{page}")
            WebDriverWait(driver, 10).until(
                lambda d, page=page: (
                    d.find_element(By.ID, "page").get_attribute("data-rendered")
                    and d.find_element(By.ID, "live").get_attribute("data-live") == "live"
                )
            )
            driver.save_screenshot(str(out / f"console-{page}.png"))
            print(f"wrote {out / f'console-{page}.png'}")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--time-scale", default="120")
    parser.add_argument("--work-seconds", type=float, default=20.0)
    options = parser.parse_args()
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    scale = options.time_scale
    processes: list[Process] = []
    with tempfile.TemporaryDirectory(prefix="pnp-console-pictures-") as folder:
        scratch = Path(folder)
        try:
            server = Process(
                scratch, "serve", "serve", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0",
                "--db", str(scratch / "pnp.db"), "--layout", str(LAYOUT), "--time-scale", scale,
            )  # fmt: skip
            processes.append(server)
            port = server.wait_for(r"listening on [\d.]+:(\d+)")[1]
            url = server.wait_for(r"web console on (\S+)")[1]
            address = f"127.0.0.1:{port}"
            for index, (kind, dock, failure_rate) in enumerate(FLOOR):
                module = Process(
                    scratch, f"{kind}-{dock}", "--orchestrator", address, "module", "run", kind,
                    "--dock", dock, "--time-scale", scale, "--failure-rate", str(failure_rate),
                    "--seed", str(index),
                )  # fmt: skip
                processes.append(module)
                module.wait_for(r"registered on dock")
            pnp(address, "order", "submit", *map(str, ORDERS))
            time.sleep(options.work_seconds)  # let the floor work: bars ran, some running
            screenshots(url, out, scratch)
        finally:
            for process in reversed(processes):
                process.stop()


if __name__ == "__main__":
    main()
