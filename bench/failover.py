"""Benchmark: how long production stops when the leading orchestrator dies.

Two `pnp serve` replicas on a throwaway PostgreSQL (tests/postgres.py; Debian's
postgresql must be installed), the default leader lease unless told (TTL 5 s, renewed
every second), one simulated laser cutter, and clients behind tests/ha/leader_proxy.py
(the connection goes to whichever replica leads, as the chaos test's). Each trial:

1. wait until a standby is ready and the laser is idle;
2. SIGKILL the leader (t = 0) and at once submit a one-step order, retried with the
   same request id until a leader acknowledges it;
3. **takeover**: until the database shows a new term held by the standby;
4. **dispatch**: until the laser's journal records the order's execution (the new
   leader planned it and called Start): production is moving again.

The killed replica is started again as the next standby. Measured against the bound
lease TTL + 3 s in the same run. Prints a table, then one JSON line.

    .venv/bin/python bench/failover.py [--trials 10] [--lease-ttl 5] [--renew-every 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pnp.orchestrator.cli.client import OrchestratorClient  # noqa: E402
from pnp.orchestrator.errors import PnpError  # noqa: E402
from pnp.orchestrator.store import Store  # noqa: E402
from pnp.orchestrator.store.engines import database_target, open_engine  # noqa: E402
from pnp.orchestrator.store.leadership import Leadership  # noqa: E402
from tests.cli.pnp_process import Running  # noqa: E402
from tests.ha.leader_proxy import LeaderProxy  # noqa: E402
from tests.postgres import cluster_for_bench  # noqa: E402

TIME_SCALE = "2000"
RECIPE = """\
apiVersion: pnp/v1
kind: Order
metadata: {{name: plate-{n}}}
spec:
  product: plate
  quantity: 1
  steps:
    - {{id: cut, capability: cutting.laser, parameters: {{material: steel-s235, thickness_mm: 3}}}}
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class Bench:
    def __init__(self, url: str, folder: Path, ttl: float, renew: float) -> None:
        self.url, self.folder, self.ttl, self.renew = url, folder, ttl, renew
        self.engine = open_engine(database_target(url))
        self.leadership = Leadership(self.engine)
        self.replicas: list[Running] = []

    def start_replica(self) -> None:
        lease = ("--leader-lease-ttl", str(self.ttl), "--leader-renew-every", str(self.renew))
        options = ("--time-scale", TIME_SCALE, "--solve-time-limit", "1", *lease)
        self.replicas.append(
            Running("serve", "--db", self.url, "--listen", "127.0.0.1:0", *options)
        )

    async def until(self, condition, what: str, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while True:
            found = await condition()
            if found:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            await asyncio.sleep(0.02)

    async def leader(self, above: int = 0):
        async def led():
            lease = (await asyncio.to_thread(self.leadership.status)).lease
            return lease if lease.live and lease.term > above else None

        return await self.until(led, f"no leader above term {above}")

    async def standby_ready(self) -> None:
        async def ready():
            status = await asyncio.to_thread(self.leadership.status)
            return any(
                r.state == "standby" and r.seen_ago < 2 * self.renew for r in status.replicas
            )

        await self.until(ready, "no standby")


async def run(trials: int, ttl: float, renew: float) -> dict:
    with cluster_for_bench() as cluster, tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        url = cluster.new_database()
        Store.open(url).close()  # the schema, so the watchers below can read it
        bench = Bench(url, folder, ttl, renew)
        proxy = LeaderProxy(bench.url)
        journal = folder / "journal.jsonl"
        laser = None
        takeovers: list[float] = []
        dispatches: list[float] = []
        try:
            bench.start_replica()
            lease = await bench.leader()
            bench.start_replica()
            await proxy.start()
            laser = Running(
                "--orchestrator", proxy.address, "module", "run", "laser-cutter",
                "--dock", "A1", "--time-scale", TIME_SCALE, "--journal", str(journal),
            )  # fmt: skip
            await asyncio.to_thread(laser.wait_for_line, r"registered on dock", 90)
            for n in range(trials):
                await bench.standby_ready()
                lease = await bench.leader(above=lease.term - 1)
                [leader] = [r for r in bench.replicas if r.process.pid == lease.holder.pid]
                started = journal.read_text().count("\n") if journal.exists() else 0
                killed = time.monotonic()
                leader.kill(signal.SIGKILL)
                submitting = asyncio.create_task(submit(proxy.address, n))
                lease = await bench.leader(above=lease.term)
                takeovers.append(time.monotonic() - killed)

                async def dispatched(started=started):
                    lines = journal.read_text().count("\n") if journal.exists() else 0
                    return lines > started

                await bench.until(dispatched, f"trial {n}: nothing dispatched")
                dispatches.append(time.monotonic() - killed)
                await submitting
                await asyncio.to_thread(leader.process.wait, 10)
                leader.stop()
                bench.replicas.remove(leader)
                bench.start_replica()
                print(
                    f"trial {n + 1}: takeover {takeovers[-1]:.2f} s, "
                    f"dispatch {dispatches[-1]:.2f} s",
                    file=sys.stderr,
                )
        finally:
            if laser is not None:
                laser.stop()
            await proxy.stop()
            for replica in bench.replicas:
                replica.stop()
            bench.engine.dispose()
    bound = ttl + 3.0
    return {
        "benchmark": "failover",
        "trials": trials,
        "lease_ttl_s": ttl,
        "renew_every_s": renew,
        "bound_s": bound,
        "takeover_p50_s": round(statistics.median(takeovers), 3),
        "takeover_p95_s": round(percentile(takeovers, 95), 3),
        "dispatch_p50_s": round(statistics.median(dispatches), 3),
        "dispatch_p95_s": round(percentile(dispatches, 95), 3),
        "dispatch_max_s": round(max(dispatches), 3),
        "within_bound": percentile(dispatches, 95) <= bound,
    }


async def submit(address: str, n: int) -> None:
    while True:
        try:
            async with OrchestratorClient(address, deadline=5) as client:
                await client.submit_order(RECIPE.format(n=n), f"plate-{n}.yaml", f"fo-{n}")
            return
        except PnpError:
            await asyncio.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--lease-ttl", type=float, default=5.0)
    parser.add_argument("--renew-every", type=float, default=1.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.trials, args.lease_ttl, args.renew_every))
    bound = result["bound_s"]
    print(f"{'failover (s)':<28}{'p50':>8}{'p95':>8}{'bound':>8}")
    for name in ("takeover", "dispatch"):
        print(
            f"{name + ' after SIGKILL':<28}{result[name + '_p50_s']:>8.2f}"
            f"{result[name + '_p95_s']:>8.2f}{bound:>8.1f}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
