"""Rough edges a planner hit trying `pnp` as a new user would (issue 15), each pinned by
the real command against a real orchestrator."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime

import grpc

from pnp.sdk.catalog import load_catalog
from pnp.sdk.descriptors import to_proto
from pnp.v1 import registry_pb2, registry_pb2_grpc
from tests.cli.factory_scenes import run_pnp
from tests.cli.pnp_process import Running
from tests.conftest import RECIPES, start_factory


async def test_what_if_with_a_module_on_a_taken_dock_is_refused_like_a_registration(tmp_path):
    running = await start_factory(tmp_path)
    try:
        await running.plug_in("laser-cutter", "A1")
        taken = await run_pnp(running.address, "plan", "what-if", "--with", "welding-cell@A1")
        swapped = await run_pnp(
            running.address,
            "plan",
            "what-if",
            "--without",
            "laser-cutter-a1",
            "--with",
            "welding-cell@A1",
        )
        twice = await run_pnp(
            running.address,
            "plan",
            "what-if",
            "--with",
            "paint-booth@B1",
            "--with",
            "paint-booth@B1",
        )
    finally:
        await running.close()
    assert taken.returncode == 1
    assert "dock A1 is taken by module laser-cutter-a1" in taken.stderr
    assert "--without" in taken.stderr
    assert swapped.returncode == 0, swapped.stderr
    assert twice.returncode == 1 and "dock B1 is taken" in twice.stderr


async def register_vendor_module(address: str, kind: str, dock: str) -> None:
    """A vendor's module of a kind the simulator's catalog does not know."""
    descriptor = to_proto(
        load_catalog().module_type("laser-cutter"),
        module_id=f"{kind}-{dock}".lower(),
        dock=dock,
        serial="ACME-1",
        kind=kind,
    )
    async with grpc.aio.insecure_channel(address) as channel:
        await registry_pb2_grpc.ModuleRegistryStub(channel).RegisterModule(
            registry_pb2.RegisterModuleRequest(
                descriptor=descriptor, boot_id="boot-1", request_id="acme"
            ),
            timeout=10,
        )


async def test_what_if_with_takes_the_kind_of_a_registered_module(tmp_path):
    running = await start_factory(tmp_path)
    try:
        await register_vendor_module(running.address, "acme-laser", "A1")
        copied = await run_pnp(
            running.address, "plan", "what-if", "--with", "acme-laser@B2", "--json"
        )
        unknown = await run_pnp(running.address, "plan", "what-if", "--with", "nobody@B2")
    finally:
        await running.close()
    assert copied.returncode == 0, copied.stderr
    assert unknown.returncode == 2
    assert "kinds registered on the floor: acme-laser" in unknown.stderr


async def test_ctrl_c_ends_events_follow_quietly_with_exit_0(tmp_path):
    running = await start_factory(tmp_path)
    try:
        await running.plug_in("laser-cutter", "A1")
        follower = Running("--orchestrator", running.address, "events", "--follow")
        await asyncio.to_thread(follower.wait_for_line, r"module\.registered|laser-cutter-a1")
        follower.kill(signal.SIGINT)
        # Ends by itself: ``stop`` would send a SIGTERM of its own to a process still
        # on its way out.
        await asyncio.to_thread(follower.process.wait, 30)
        code, stderr = await asyncio.to_thread(follower.stop)
    finally:
        await running.close()
    assert code == 0
    assert stderr == ""


async def test_a_data_package_is_stamped_with_wall_clock_time_and_factory_time_apart(tmp_path):
    running = await start_factory(tmp_path, time_scale=3600.0)
    try:
        recipe = (RECIPES / "orders" / "city-bike-frame.yaml").read_text()
        order = await running.factory.submit_order(recipe, "frame.yaml", "r1")
        before = datetime.now(UTC)
        package = await running.factory.export_order(order.record.order_id)
        after = datetime.now(UTC)
    finally:
        await running.close()
    assert before <= package.exported_at <= after
    # An hour of factory time per real second: the factory's clock is well ahead.
    assert package.exported_at_factory_time > after


async def test_after_a_drain_modules_and_status_agree_and_a_restart_keeps_it(tmp_path):
    running = await start_factory(tmp_path)
    try:
        module = await running.plug_in("paint-booth", "A3")
        await running.factory.drain_module(module.module_id)
        await until(lambda: running.factory.module(module.module_id).entry.released)
        before = [await run_pnp(running.address, command) for command in ("modules", "status")]

        await running.restart_orchestrator()
        await until(lambda: is_back(running, module.module_id))
        after = [await run_pnp(running.address, command) for command in ("modules", "status")]
        entry = running.factory.module(module.module_id).entry
    finally:
        await running.close()
    for shown in (*before, *after):
        assert shown.returncode == 0, shown.stderr
        row = next(line for line in shown.stdout.splitlines() if "paint-booth-a3" in line)
        assert "alive (released)" in row, shown.stdout
    assert (entry.draining, entry.released) == (True, True)


def is_back(running, module_id: str) -> bool:
    entries = {e.module_id: e for e in running.factory.registry.entries()}
    return module_id in entries and entries[module_id].liveness.value == "alive"


async def until(predicate, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


def test_library_and_simulated_module_warnings_stay_out_of_the_terminal(tmp_path, capsys):
    import logging

    from pnp.orchestrator.cli.logs import route_logs

    kept = tmp_path / "demo.log"
    route_logs(log_file=kept)
    try:
        logging.getLogger("asyncua.server.server").warning("No signing policy available")
        logging.getLogger("asyncua.client.client").warning("Revised values returned differ")
        logging.getLogger("pnp.sdk.skill").warning("cutting.laser x-1 failed: simulated fault")
        logging.getLogger("pnp.orchestrator.service").warning("the breaker opened")
        logging.getLogger("asyncua.client").error("Publish iteration crashed")
        logging.getLogger("pnp.sdk.session").error("the orchestrator refused us")
    finally:
        route_logs()  # back to the terminal alone, closing the file
    terminal = capsys.readouterr().err
    assert "No signing policy" not in terminal and "Revised values" not in terminal
    assert "simulated fault" not in terminal
    assert "Publish iteration crashed" not in terminal  # asyncua's teardown chatter
    assert "the breaker opened" in terminal and "the orchestrator refused us" in terminal
    log = kept.read_text()
    for message in ("No signing policy", "Revised values", "simulated fault", "Publish"):
        assert message in log
