"""Network faults between real processes: cables pulled, one path cut, then healed.

`pnp serve` and two welding cells (`pnp module run`), each behind a fault proxy on both
of its paths (its gRPC session and the orchestrator's OPC UA link to it; see
tests/faults/floor.py). Weld orders are submitted; once a cell is in the middle of an
operation, its network fails for a while and heals. In every case:

- no execution id is accepted twice (the modules' journals);
- every operation completed exactly once in the recorded history: the module's result
  was accepted, or the work re-ran on the other cell, never both
  (tests/e2e/history_checker.py);
- the faulted module rejoins by itself: it is alive again, and with the other cell
  drained, one more order completes on it (over both of its paths).

A lease of 3 s: a partition of 1 s is well inside it, one of 9 s well beyond it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from pnp.v1 import attempt_pb2
from tests.conftest import DEMO_LAYOUT
from tests.faultproxy import Direction
from tests.faults.floor import COMPLETE, ProxiedFloor, ProxiedModule, Verdict, weld_order

pytestmark = [
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.xdist_group("floors"),  # a floor of processes at a time
    pytest.mark.timeout(300),
]

TIME_SCALE = "60"  # a weld (180 s set-up + 240 s per unit) takes 7 real seconds
LEASE_TTL = 3.0
SHORT = LEASE_TTL / 3
LONG = LEASE_TTL * 3
ORDERS = 4
CELLS = [("welding-cell", "A2"), ("welding-cell", "B3")]
SERVE = (
    "--layout", str(DEMO_LAYOUT), "--lease-ttl", str(LEASE_TTL),
    "--heartbeat-interval", "0.5", "--solve-time-limit", "1",
)  # fmt: skip


Fault = Callable[[ProxiedModule], None]


async def weld_under_fault(tmp_path, fault: Fault, seconds: float):
    """Runs the scenario; returns the floor's verdict, the faulted module and the
    attempt that was running when the fault began."""
    async with ProxiedFloor(tmp_path, CELLS, time_scale=TIME_SCALE, serve_options=SERVE) as floor:
        for n in range(ORDERS):
            await floor.submit(weld_order(n), f"bracket-{n:02d}.yaml", f"weld-{n}")
        interrupted = await floor.running_attempt()
        victim = floor.module(interrupted.module_id)
        other = next(m for m in floor.modules if m is not victim)
        fault(victim)
        await asyncio.sleep(seconds)
        victim.heal()
        await floor.all_completed(ORDERS)
        await floor.alive(victim.module_id)

        # Rejoined for real: with the other cell drained, new work goes to the victim.
        async with floor.client() as client:
            await client.drain_module(other.module_id)
        last = await floor.submit(weld_order(99), "bracket-99.yaml", "weld-last")
        await floor.all_completed(ORDERS + 1)
        verdict = await floor.verdict()
        lost = [subject for subject, _ in floor.events("module.lost")]
    assert floor.tracebacks() == []
    assert verdict.problems == []
    [last_run] = [a for a in verdict.attempts if a.order_id == last and a.state == COMPLETE]
    assert last_run.module_id == victim.module_id
    assert victim.opcua.stats.connections >= 1 and victim.grpc.stats.connections >= 1
    return verdict, victim, interrupted, lost


def attempts_of(verdict: Verdict, operation_id: str) -> list:
    return [a for a in verdict.attempts if a.operation_id == operation_id]


async def test_a_partition_shorter_than_the_lease_loses_nothing_and_reruns_nothing(tmp_path):
    verdict, victim, interrupted, lost = await weld_under_fault(
        tmp_path, ProxiedModule.partition, SHORT
    )
    assert victim.module_id not in lost
    [only] = attempts_of(verdict, interrupted.operation_id)
    assert (only.execution_id, only.state) == (interrupted.execution_id, COMPLETE)


async def test_a_partition_longer_than_the_lease_counts_the_work_once(tmp_path):
    verdict, victim, interrupted, lost = await weld_under_fault(
        tmp_path, ProxiedModule.partition, LONG
    )
    assert victim.module_id in lost
    # Whichever counts, the module's result (reclaimed) or the re-run elsewhere, the
    # other is not COMPLETE: the history checker saw exactly one.
    states = {a.module_id: a.state for a in attempts_of(verdict, interrupted.operation_id)}
    assert list(states.values()).count(COMPLETE) == 1


def cut_grpc(module: ProxiedModule) -> None:
    module.grpc.blackhole()


def cut_opcua(module: ProxiedModule) -> None:
    module.opcua.blackhole()


async def test_grpc_cut_while_opc_ua_stays_up(tmp_path):
    """The session is gone but the link is fine: the lease expires, the module is lost
    all the same (the lease is the sure signal), and the work counts once."""
    verdict, victim, interrupted, lost = await weld_under_fault(tmp_path, cut_grpc, LONG)
    assert victim.module_id in lost
    assert [a.state for a in attempts_of(verdict, interrupted.operation_id)].count(COMPLETE) == 1


async def test_opc_ua_cut_while_grpc_stays_up(tmp_path):
    """Heartbeats keep the lease: the module is never lost, its link comes back and the
    operation it was running is completed from its own result, with no re-run."""
    verdict, victim, interrupted, lost = await weld_under_fault(tmp_path, cut_opcua, LONG)
    assert victim.module_id not in lost
    [only] = attempts_of(verdict, interrupted.operation_id)
    assert (only.execution_id, only.state) == (interrupted.execution_id, COMPLETE)


def answers_cut(module: ProxiedModule) -> None:
    """One direction only: the orchestrator hears the module, the module hears nothing
    (heartbeat acks, OPC UA responses), on both paths."""
    module.grpc.drop(Direction.DOWN)
    module.opcua.drop(Direction.UP)  # the orchestrator dials OPC UA: its requests go up


async def test_a_one_way_cut_longer_than_the_lease_counts_the_work_once(tmp_path):
    verdict, _, interrupted, _ = await weld_under_fault(tmp_path, answers_cut, LONG)
    assert [a.state for a in attempts_of(verdict, interrupted.operation_id)].count(COMPLETE) == 1


def reset_both(module: ProxiedModule) -> None:
    """Every connection reset at once, and new ones refused while the fault lasts."""
    module.grpc.reset(refuse=True)
    module.opcua.reset(refuse=True)


async def test_connections_reset_mid_operation_count_the_work_once(tmp_path):
    verdict, victim, interrupted, _ = await weld_under_fault(tmp_path, reset_both, SHORT)
    assert [a.state for a in attempts_of(verdict, interrupted.operation_id)].count(COMPLETE) == 1
    assert victim.grpc.stats.resets >= 1 and victim.opcua.stats.resets >= 1


def slow_wires(module: ProxiedModule) -> None:
    module.grpc.delay(0.4)
    module.opcua.delay(0.4)


async def test_a_slow_network_changes_nothing(tmp_path):
    """400 ms each way on both paths (longer than a heartbeat interval, shorter than
    the lease), for two lease times."""
    verdict, victim, _, lost = await weld_under_fault(tmp_path, slow_wires, 2 * LEASE_TTL)
    assert victim.module_id not in lost
    assert attempt_pb2.ATTEMPT_STATE_FAILED not in {a.state for a in verdict.attempts}


WELD_THEN_INSPECT = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: inspected-bracket}
spec:
  product: bracket
  quantity: 1
  due: 2030-01-01T00:00:00Z
  steps:
    - id: weld
      capability: joining.welding
      parameters: {process: TIG, material: aluminium-6061}
    - id: inspect
      capability: inspection.vision
      after: [weld]
      parameters: {resolution_um: 50}
"""


async def test_a_partition_outlasting_the_rerun_keeps_the_rerun_its_successor_used(tmp_path):
    """The partitioned cell finishes its weld unseen; the weld re-runs on the other cell
    and the inspection starts from that re-run. When the cell comes back, the re-run
    must stand: the history may not say the inspection began before its weld ended."""
    floor_modules = [*CELLS, ("vision-inspection", "A4")]
    async with ProxiedFloor(
        tmp_path, floor_modules, time_scale=TIME_SCALE, serve_options=SERVE
    ) as floor:
        order_id = await floor.submit(WELD_THEN_INSPECT, "inspected.yaml", "weld-inspect")
        welding = await floor.running_attempt(module_ids={m.module_id for m in floor.modules[:2]})
        victim = floor.module(welding.module_id)
        victim.partition()
        inspect = await floor.running_attempt(module_ids={"vision-inspection-a4"})
        victim.heal()
        await floor.all_completed(1)
        # Once the cell has done new work over its link, it has been asked about the
        # weld it finished unseen (every executor pass asks returned modules first).
        other = next(m for m in floor.modules[:2] if m is not victim)
        async with floor.client() as client:
            await client.drain_module(other.module_id)
        await floor.submit(weld_order(1), "bracket-01.yaml", "weld-after")
        await floor.all_completed(2)
        verdict = await floor.verdict()
    assert inspect.operation_id == f"{order_id}/inspect"
    assert verdict.problems == []
    [weld] = [
        a for a in verdict.attempts if a.operation_id == f"{order_id}/weld" and a.state == COMPLETE
    ]
    assert weld.module_id != victim.module_id, "the re-run the inspection used must stand"
