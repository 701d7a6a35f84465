"""Registrations committed in groups: the herd after a takeover costs a few fsyncs.

When a new leader takes over, every module registers again within a second or two.
Committing each registration on its own queues a thousand of them behind a thousand
fsyncs (and a replan each). Here one writer takes whatever has arrived: admits each
(dock and epoch checked against the registry, and against the other admissions of
the same group, since none is recorded yet), writes the group in one transaction,
and only then makes the entries current and answers the callers. The rule stays
what it was with one commit per registration: an epoch is never acknowledged, nor
made current, before it is durable; admissions, writes and records keep one order.

A module that registers twice within one group (a retry racing its first call) is
admitted in the next group, after the first is recorded, so it gets the same epoch
or the next one exactly as it would have one call at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pnp.orchestrator.domain.modules import ModuleDescription
from pnp.orchestrator.errors import PnpError
from pnp.orchestrator.registry import ModuleEntry, Registry

log = logging.getLogger(__name__)

Admitted = tuple[ModuleEntry, ModuleDescription]


@dataclass(frozen=True)
class _Waiting:
    description: ModuleDescription
    boot_id: str
    replace: bool  # a deliberate swap (``Registry.admission``)
    answer: asyncio.Future[ModuleEntry]


class GroupCommit:
    def __init__(
        self,
        registry: Registry,
        persist: Callable[[Sequence[Admitted]], None],
        on_recorded: Callable[[Sequence[Admitted]], Awaitable[None]],
    ) -> None:
        """``persist`` writes a group in one transaction (synchronous: it runs in a
        worker thread); ``on_recorded`` hears of each group made current, once."""
        self._registry = registry
        self._persist = persist
        self._on_recorded = on_recorded
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self.groups = 0  # groups written so far (for the logs and the benchmarks)

    async def register(
        self, description: ModuleDescription, boot_id: str, *, replace: bool = False
    ) -> ModuleEntry:
        """Admits, persists and records the registration with whatever else arrives
        meanwhile; answers once it is durable and current (or refused: each one of a
        group on its own, the others go through)."""
        answer: asyncio.Future[ModuleEntry] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(description, boot_id, replace, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="registrations")
        # Shielded: a caller that gives up mid-commit must not leave store and memory
        # apart; the registration goes through and a retry finds it.
        return await asyncio.shield(answer)

    async def stop(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await self._write(group)
            except Exception as error:  # a bug: the callers hear of it, the next group runs
                log.exception("registration group failed")
                for waiting in group:
                    _refuse(waiting, error)

    async def _write(self, group: list[_Waiting]) -> None:
        admitted: list[tuple[_Waiting, ModuleEntry]] = []
        claimed: dict[str, str] = {}  # docks promised within this group
        later: list[_Waiting] = []
        for waiting in group:
            module_id = waiting.description.module_id
            if any(w.description.module_id == module_id for w, _ in admitted):
                later.append(waiting)
                continue
            try:
                entry = self._registry.admission(
                    waiting.description, waiting.boot_id, claimed, replace=waiting.replace
                )
            except PnpError as refused:
                _refuse(waiting, refused)
                continue
            claimed[waiting.description.dock] = module_id
            admitted.append((waiting, entry))
        self._waiting[:0] = later
        if not admitted:
            return
        try:
            await asyncio.to_thread(
                self._persist, [(entry, w.description) for w, entry in admitted]
            )
        except Exception as error:  # nothing recorded: each caller is told, none answered
            log.warning("could not store %d registrations: %s", len(admitted), error)
            for waiting, _ in admitted:
                _refuse(waiting, error)
            return
        self.groups += 1
        recorded: list[tuple[_Waiting, ModuleEntry]] = []
        for waiting, entry in admitted:
            try:
                recorded.append((waiting, self._registry.record(entry)))
            except PnpError as refused:
                _refuse(waiting, refused)
        await self._on_recorded([(entry, w.description) for w, entry in recorded])
        for waiting, entry in recorded:
            if not waiting.answer.done():
                waiting.answer.set_result(entry)


def _refuse(waiting: _Waiting, error: BaseException) -> None:
    if not waiting.answer.done():
        waiting.answer.set_exception(error)
