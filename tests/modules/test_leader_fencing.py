"""A module keeps the newest leader term it has seen and refuses a deposed leader.

A leader paused past its lease (GC, a VM stall, SIGSTOP) wakes up believing it still
leads. Modules learn the new leader's term over their session and with every Start, and
from then on refuse the old leader's Starts (``BadRequestNotAllowed``: nothing runs,
nothing is journalled) and directives. Real SDK modules serving real asyncua servers,
driven by a real asyncua client and by the orchestrator's own OPC UA link.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

import pytest
from asyncua import Client, ua

from pnp.orchestrator.domain.orders import OrderState
from pnp.orchestrator.execution.link import CommandRefused
from pnp.orchestrator.execution.opcua_link import ModuleLink
from pnp.orchestrator.registry.leases import Liveness
from pnp.sdk.catalog import load_catalog
from pnp.sdk.packml import State
from pnp.sdk.sim import SimulatedModule, SimulatedModuleConfig
from pnp.v1 import registry_pb2
from pnp.v1.opcua import NAMESPACE_URI, ExecutionOutcome, ModuleNode, Refusal, SkillMethod
from tests.conftest import start_factory
from tests.replicas import StaleLeader, after_takeovers

pytestmark = pytest.mark.servers

KIND, CAPABILITY = "laser-cutter", "cutting.laser"
PARAMETERS = {"material": "steel-s235", "thickness_mm": 3}
CUT = json.dumps(PARAMETERS)
# One job in about 50 ms of real time.
SCALE = load_catalog().module_type(KIND).capability(CAPABILITY).time.seconds_for(1) / 0.05
ORDER = """\
apiVersion: pnp/v1
kind: Order
metadata: {name: plate}
spec:
  product: plate
  quantity: 1
  steps:
    - {id: cut, capability: cutting.laser, parameters: {material: steel-s235, thickness_mm: 3}}
"""


def laser(tmp_path: Path, orchestrator: str | None = None, dock: str = "A1") -> SimulatedModule:
    return SimulatedModule(
        SimulatedModuleConfig(
            kind=KIND,
            dock=dock,
            module_id="laser-1",
            orchestrator=orchestrator,
            time_scale=SCALE,
            journal=str(tmp_path / "journal.jsonl"),
        )
    )


@contextlib.asynccontextmanager
async def running(module: SimulatedModule):
    task = asyncio.create_task(module.run())
    try:
        await asyncio.wait_for(module.serving.wait(), 10)
        yield module
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def journalled(module: SimulatedModule) -> list[str]:
    assert module.journal is not None
    if not module.journal.exists():
        return []
    lines = module.journal.read_text().splitlines()
    return [json.loads(line)["execution_id"] for line in lines]


async def settles_in(module: SimulatedModule, state: State, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while module.skills[CAPABILITY].state is not state:
            await asyncio.sleep(0.01)


class Skill:
    """The laser's skill over OPC UA, as any client (an orchestrator) calls it."""

    def __init__(self, client: Client, node, idx: int) -> None:
        self.client, self.node, self.idx = client, node, idx

    @classmethod
    @contextlib.asynccontextmanager
    async def of(cls, module: SimulatedModule):
        client = Client(module.endpoint, timeout=10)
        await client.connect()
        try:
            idx = await client.get_namespace_index(NAMESPACE_URI)
            path = [f"{idx}:{ModuleNode.MODULE}", f"{idx}:{ModuleNode.SKILLS}"]
            node = await client.nodes.objects.get_child([*path, f"{idx}:{CAPABILITY}"])
            yield cls(client, node, idx)
        finally:
            await client.disconnect()

    async def call(self, method: SkillMethod, *args):
        return await self.node.call_method(f"{self.idx}:{method}", *args)

    async def start(self, execution_id: str, *term: int) -> bool:
        """Start with a leaderTerm, or in the old two-argument form without ``term``."""
        terms = [ua.Variant(t, ua.VariantType.UInt64) for t in term]
        return await self.call(SkillMethod.START, execution_id, CUT, *terms)

    async def refusal_of_start(self, execution_id: str, *term: int) -> str:
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await self.start(execution_id, *term)
        return type(refused.value).__name__

    async def outcome(self, execution_id: str) -> str:
        outcome, _results = await self.call(SkillMethod.QUERY_EXECUTION, execution_id)
        return outcome


async def run_to_complete_and_reset(module, skill: Skill, execution_id: str, *term: int):
    assert await skill.start(execution_id, *term) is True
    await settles_in(module, State.COMPLETE)
    await skill.call(SkillMethod.RESET)
    await settles_in(module, State.IDLE)


async def test_a_start_with_an_older_term_is_refused_and_never_journalled(tmp_path):
    async with running(laser(tmp_path)) as module, Skill.of(module) as skill:
        await run_to_complete_and_reset(module, skill, "from-leader-2", 2)
        assert module.leader_term.highest == 2

        # The old leader (term 1) wakes up and starts work on an idle skill.
        assert await skill.refusal_of_start("from-leader-1", 1) == Refusal.BAD_REQUEST_NOT_ALLOWED
        assert module.skills[CAPABILITY].state is State.IDLE  # no side effect
        assert await skill.outcome("from-leader-1") == ExecutionOutcome.UNKNOWN
        assert journalled(module) == ["from-leader-2"]
        assert module.leader_term.highest == 2

        # The same term again, or a newer one, is accepted; a newer one raises the fence.
        await run_to_complete_and_reset(module, skill, "again-from-leader-2", 2)
        await run_to_complete_and_reset(module, skill, "from-leader-3", 3)
        assert module.leader_term.highest == 3
        assert journalled(module) == ["from-leader-2", "again-from-leader-2", "from-leader-3"]


async def test_an_old_two_argument_start_works_until_the_module_has_seen_a_term(tmp_path):
    async with running(laser(tmp_path)) as module, Skill.of(module) as skill:
        # An older orchestrator (or a tool) that does not know terms: term 0, accepted.
        await run_to_complete_and_reset(module, skill, "old-style")
        assert module.leader_term.highest == 0

        await run_to_complete_and_reset(module, skill, "from-leader-1", 1)
        # Now a Start without a term cannot be told from a deposed leader's: refused.
        assert await skill.refusal_of_start("old-style-late") == Refusal.BAD_REQUEST_NOT_ALLOWED
        assert journalled(module) == ["old-style", "from-leader-1"]


async def test_a_start_with_a_malformed_term_or_too_many_arguments_is_refused(tmp_path):
    async with running(laser(tmp_path)) as module, Skill.of(module) as skill:
        not_a_number = ua.Variant("2", ua.VariantType.String)
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await skill.call(SkillMethod.START, "x", CUT, not_a_number)
        assert type(refused.value).__name__ == Refusal.BAD_INVALID_ARGUMENT
        extra = ua.Variant(1, ua.VariantType.UInt64)
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await skill.call(SkillMethod.START, "y", CUT, extra, extra)
        assert type(refused.value).__name__ == "BadTooManyArguments"
        assert journalled(module) == [] and module.leader_term.highest == 0


async def test_a_deposed_leader_that_wakes_up_cannot_start_work(tmp_path):
    """Two orchestrators' OPC UA links to one module: the old leader's (term 1) and,
    after a takeover while it was stopped, the new leader's (term 2)."""
    async with running(laser(tmp_path)) as module:
        links = {
            term: ModuleLink(
                module.module_id, module.endpoint, lambda: None, leader_term=lambda t=term: t
            )
            for term in (1, 2)
        }
        tasks = [asyncio.create_task(link.run()) for link in links.values()]
        try:
            for link in links.values():
                await asyncio.wait_for(link.connected.wait(), 10)
            old, new = links[1], links[2]
            assert (
                await old.start(CAPABILITY, "old-leader-job", PARAMETERS) is True
            )  # before its pause
            await settles_in(module, State.COMPLETE)
            await new.command(CAPABILITY, SkillMethod.RESET)  # the new leader tidies up
            await settles_in(module, State.IDLE)
            assert await new.start(CAPABILITY, "new-leader-job", PARAMETERS) is True
            await settles_in(module, State.COMPLETE)
            await new.command(CAPABILITY, SkillMethod.RESET)
            await settles_in(module, State.IDLE)

            # SIGCONT: the old leader goes on where it stopped and dispatches its next job.
            with pytest.raises(CommandRefused) as refused:
                await old.start(CAPABILITY, "old-leader-late-job", PARAMETERS)
            assert refused.value.status == Refusal.BAD_REQUEST_NOT_ALLOWED
            assert module.skills[CAPABILITY].state is State.IDLE
            assert journalled(module) == ["old-leader-job", "new-leader-job"]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def test_the_module_learns_the_leaders_term_over_its_session(tmp_path):
    after_takeovers(tmp_path / "pnp.db", 3)  # this orchestrator leads at term 3
    factory = await start_factory(tmp_path, time_scale=SCALE)
    try:
        assert factory.factory.store.leader_term == 3
        async with running(laser(tmp_path, factory.address)) as module:
            await asyncio.wait_for(module.client.registered.wait(), 20)
            assert module.leader_term.highest == 3
            # The executor's Start carries term 3 too, or the module would refuse it.
            order = (await factory.factory.submit_order(ORDER, "plate.yaml", "r1")).record
            async with asyncio.timeout(30):
                while factory.factory.order(order.order_id).state is not OrderState.COMPLETED:
                    await asyncio.sleep(0.05)
            assert len(journalled(module)) == 1
            # And so does a directive.
            await factory.factory.drain_module(module.module_id)
            async with asyncio.timeout(10):
                while not module.draining:
                    await asyncio.sleep(0.02)
    finally:
        await factory.close()


def _directive(kind, term: int, reason: str) -> registry_pb2.Directive:
    return registry_pb2.Directive(kind=kind, epoch=1, leader_term=term, reason=reason)


async def test_a_directive_with_an_older_term_is_ignored_and_logged(tmp_path, caplog):
    directives = [
        _directive(registry_pb2.DIRECTIVE_KIND_DRAIN, 4, "from a leader deposed since"),
        _directive(registry_pb2.DIRECTIVE_KIND_RELEASE, 5, "from the leader"),
    ]
    caplog.set_level(logging.WARNING, logger="pnp.sdk.session")
    async with (
        StaleLeader(term=5, directives=directives) as leader,
        running(laser(tmp_path, leader.address)) as module,
    ):
        async with asyncio.timeout(10):
            while not module.released:  # the RELEASE came after the DRAIN
                await asyncio.sleep(0.02)
        assert module.directives == [("DIRECTIVE_KIND_RELEASE", "from the leader")]
        assert module.draining is False
        assert module.leader_term.highest == 5
    assert "ignoring a DIRECTIVE_KIND_DRAIN directive from a deposed leader" in caplog.text


async def test_a_module_leaves_a_leader_that_was_deposed_for_the_new_one(tmp_path):
    """The module holds its session with the old leader (term 1), which does not know
    it was deposed; the new leader (term 2) reaches the module over OPC UA first. The
    old leader's next acknowledgement carries term 1: the module leaves it, finds the
    new leader in its list, and does not register with the old one again."""
    async with StaleLeader(term=1) as old:
        after_takeovers(tmp_path / "pnp.db", 2)  # the new leader leads at term 2
        factory = await start_factory(tmp_path, time_scale=SCALE)
        try:
            assert factory.factory.store.leader_term == 2
            module = laser(tmp_path, f"{old.address},{factory.address}")
            async with running(module), Skill.of(module) as skill:
                await asyncio.wait_for(old.session_opened.wait(), 20)
                await asyncio.wait_for(module.client.registered.wait(), 20)
                assert module.leader_term.highest == 1

                await run_to_complete_and_reset(module, skill, "from-the-new-leader", 2)
                async with asyncio.timeout(20):
                    while module.module_id not in _alive(factory):
                        await asyncio.sleep(0.05)
                assert module.client.seeker.current == factory.address
                assert old.sessions == 1
        finally:
            await factory.close()


def _alive(factory) -> set[str]:
    """The modules holding a live session with this orchestrator."""
    entries = [view.entry for view in factory.factory.modules()]
    return {e.module_id for e in entries if e.liveness is Liveness.ALIVE and e.session_open}
