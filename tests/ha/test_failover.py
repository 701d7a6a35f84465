"""Standbys take over (real `pnp serve` processes on the session's throwaway PostgreSQL):
a standby answers every call with the leader's address, takes over when the leader is
killed, and a leader frozen past its lease is deposed and steps down when it wakes."""

from __future__ import annotations

import asyncio
import json
import signal

import grpc
import pytest

from pnp.orchestrator.cli.client import OrchestratorClient
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from pnp.v1.cluster import LEADER_METADATA_KEY
from tests.cli.pnp_process import Running, pnp
from tests.ha.replica_logs import unexpected_tracebacks

pytestmark = pytest.mark.servers

LEASE = ("--leader-lease-ttl", "2", "--leader-renew-every", "0.5")


def replica(url: str) -> Running:
    return Running("serve", "--db", url, "--listen", "127.0.0.1:0", *LEASE)


def leading(process: Running, timeout: float = 60) -> str:
    """Waits until ``process`` leads; returns its address."""
    found = process.wait_for_line(r"listening on ([\d.]+:\d+) .*leader at term (\d+)", timeout)
    return found[1]


def standing_by(process: Running) -> str:
    return process.wait_for_line(r"standing by on ([\d.]+:\d+)", timeout=60)[1]


def cluster_status(url: str) -> dict:
    shown = pnp("cluster", "status", "--db", url, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


async def test_a_standby_redirects_to_the_leader_and_takes_over_when_it_is_killed(postgres_url):
    first = replica(postgres_url)
    second = None
    try:
        leader = leading(first)
        second = replica(postgres_url)
        standby = standing_by(second)

        async with grpc.aio.insecure_channel(standby) as channel:
            stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
            call = stub.ListOrders(orchestrator_pb2.ListOrdersRequest(), timeout=10)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert (LEADER_METADATA_KEY, leader) in tuple(refused.value.trailing_metadata())

        status = await asyncio.to_thread(cluster_status, postgres_url)
        assert status["term"] == 1 and status["leader"]["address"] == leader
        assert sorted(r["state"] for r in status["replicas"]) == ["leader", "standby"]

        first.kill(signal.SIGKILL)
        assert await asyncio.to_thread(leading, second) == standby
        async with OrchestratorClient(standby) as client:
            assert await client.list_orders() == []
        status = await asyncio.to_thread(cluster_status, postgres_url)
        assert status["term"] == 2 and status["leader"]["address"] == standby
    finally:
        first.stop()
        if second is not None:
            code, stderr = second.stop()
            assert code == 0 and "Traceback" not in stderr, stderr


async def test_a_leader_frozen_past_its_lease_is_deposed_and_steps_down_when_it_wakes(
    postgres_url,
):
    first = replica(postgres_url)
    second = None
    try:
        leading(first)
        second = replica(postgres_url)
        standing_by(second)
        first.kill(signal.SIGSTOP)
        await asyncio.to_thread(leading, second)
        first.kill(signal.SIGCONT)
        await asyncio.to_thread(first.process.wait, 30)
        status = await asyncio.to_thread(cluster_status, postgres_url)
    finally:
        first.kill(signal.SIGCONT)
        code, stderr = first.stop()
        if second is not None:
            second_code, second_stderr = second.stop()
            assert second_code == 0 and "Traceback" not in second_stderr, second_stderr
    # It stepped down on its own (exit 1, saying why), its writes refused from then on.
    assert code == 1, stderr
    assert "stepping down" in stderr and "term 1" in stderr, stderr
    assert unexpected_tracebacks(stderr) == [], stderr
    assert status["term"] == 2
    assert {r["term"]: r["state"] for r in status["replicas"]} == {1: "deposed", 2: "leader"}
