"""Makes the pictures of docs/planners.md with the real commands on a real factory.

Starts `pnp serve` with the demo layout and eight `pnp module run` processes (one
laser that fails now and then, so the history shows a re-run), submits the example
orders, and runs the commands the walkthrough shows, writing their pictures to
docs/images/ and their text output to docs/images/*.txt. Factory time runs
``--time-scale`` times faster than real time, so the orders finish in about a minute.

    .venv/bin/python docs/make_pictures.py [--out docs/images] [--time-scale 300]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PNP = str(Path(sys.executable).parent / "pnp")
LAYOUT = REPO / "recipes" / "layouts" / "demo-factory.yaml"
ORDERS = [
    REPO / "recipes" / "orders" / f"{name}.yaml" for name in ("city-bike-frame", "gearbox-housing")
]
FLOOR = [
    # kind, dock, failure rate: the big laser fails a third of its cuts (seeded)
    ("laser-cutter", "A1", 0.35),
    ("welding-cell", "A2", 0.0),
    ("paint-booth", "A3", 0.0),
    ("vision-inspection", "A4", 0.0),
    ("cnc-mill", "B1", 0.0),
    ("assembly-cell", "B2", 0.0),
    ("welding-cell", "B3", 0.0),
    ("multi-laser", "C2", 0.0),
]


class Process:
    """A long-running pnp process; stderr to a file, stdout read line by line."""

    def __init__(self, scratch: Path, name: str, *args: str) -> None:
        self.stderr = (scratch / f"{name}.stderr").open("w")
        self.process = subprocess.Popen(
            [PNP, *args], stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise SystemExit(f"{self.process.args} ended; see {self.stderr.name}")
            found = re.search(pattern, line)
            if found:
                return found
        raise SystemExit(f"no {pattern!r} from {self.process.args} in {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def pnp(address: str, *args: str) -> str:
    done = subprocess.run(
        [PNP, "--orchestrator", address, *args], capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0:
        raise SystemExit(f"pnp {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--time-scale", default="300")
    options = parser.parse_args()
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    scale = options.time_scale
    processes: list[Process] = []
    with tempfile.TemporaryDirectory(prefix="pnp-pictures-") as folder:
        scratch = Path(folder)
        try:
            server = Process(
                scratch,
                "serve",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db",
                str(scratch / "pnp.db"),
                "--layout",
                str(LAYOUT),
                "--time-scale",
                scale,
            )
            processes.append(server)
            port = server.wait_for(r"listening on [\d.]+:(\d+)")[1]
            address = f"127.0.0.1:{port}"
            for index, (kind, dock, failure_rate) in enumerate(FLOOR):
                module = Process(
                    scratch,
                    f"{kind}-{dock}",
                    "--orchestrator",
                    address,
                    "module",
                    "run",
                    kind,
                    "--dock",
                    dock,
                    "--time-scale",
                    scale,
                    "--failure-rate",
                    str(failure_rate),
                    "--seed",
                    str(index),
                )
                processes.append(module)
                module.wait_for(r"registered on dock")
            walkthrough(address, out)
        finally:
            for process in reversed(processes):
                process.stop()


def walkthrough(address: str, out: Path) -> None:
    submitted = json.loads(pnp(address, "order", "submit", *map(str, ORDERS), "--json"))
    bike, gearbox = (o["order_id"] for o in submitted["orders"])
    write(out / "plan.txt", pnp(address, "plan"))
    pnp(address, "plan", "--gantt", str(out / "plan-gantt.png"))
    pnp(address, "order", "show", gearbox, "--graph", str(out / "order-line.png"))
    write(
        out / "what-if.txt",
        pnp(
            address,
            "plan",
            "what-if",
            "--without",
            "cnc-mill-b1",
            "--gantt-before",
            str(out / "what-if-before.png"),
            "--gantt-after",
            str(out / "what-if-after.png"),
        ),
    )
    time.sleep(2)  # let some work start, so the status has something to show
    write(out / "status.txt", pnp(address, "status", "--events", "6"))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        orders = json.loads(pnp(address, "orders", "--json"))["orders"]
        if all(o["state"] == "ORDER_STATE_COMPLETED" for o in orders):
            break
        time.sleep(1)
    else:
        raise SystemExit("the orders did not complete in 4 minutes")
    write(out / "history.txt", pnp(address, "history", "--order", gearbox))
    pnp(address, "history", "--gantt", str(out / "history-gantt.png"))
    print(f"pictures of orders {bike} and {gearbox} written to {out}")


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
