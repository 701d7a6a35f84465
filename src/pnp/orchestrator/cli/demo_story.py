"""The plug-and-produce story `pnp demo` tells while the orders run.

A director disturbs the factory the way a shop floor does, acting only on the
simulated modules (all a person on the floor could do), and narrates what the
orchestrator does about it from its event log (``WatchEvents``, as any client would):

1. a module whose work no other module can take over (the welding cell) is
   **unplugged** in the middle of an operation: the operation waits;
2. another module **fails** mid-operation: a laser whose next execution was armed to
   abort half-way (failure injection); the orchestrator re-runs the operation on
   the other laser;
3. a **replacement** for the unplugged module is plugged into the same dock (same
   module id, a new unit: new serial and boot, so a new epoch) and the waiting
   operation runs there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pnp.v1.opcua import PackMLState

REPLACEMENT_DELAY = 1.5  # real seconds the floor stays without the unplugged module
POLL_SECONDS = 0.01
UNPLUG_KIND = "welding-cell"


@dataclass
class StoryLog:
    """What happened, for the closing summary and --json."""

    unplugged: str = ""
    failed: str = ""
    replaced: str = ""
    lines: list[str] = field(default_factory=list)


class Director:
    def __init__(
        self,
        modules: dict,  # module id -> SimulatedModule (in this process)
        tasks: dict,  # module id -> the module's task
        plug_in: Callable,  # async (kind, dock, module_id, serial) -> (module, task)
        say: Callable[[str], None],
    ) -> None:
        self.modules = modules
        self.tasks = tasks
        self._plug_in = plug_in
        self._say = say
        self.log = StoryLog()
        self._unplug_target = self._lonely(UNPLUG_KIND)
        self._fail_target = self._redundant()
        self._background: set[asyncio.Task] = set()

    def _offered_by(self) -> dict[str, set[str]]:
        offered: dict[str, set[str]] = {}
        for module_id, module in self.modules.items():
            for capability in module.skills:
                offered.setdefault(capability, set()).add(module_id)
        return offered

    def _lonely(self, kind: str) -> str:
        """A module of ``kind`` none of whose skills another module offers: unplugging
        it leaves a gap only a replacement fills."""
        offered = self._offered_by()
        for module_id, module in sorted(self.modules.items()):
            if module.kind == kind and all(offered[c] == {module_id} for c in module.skills):
                return module_id
        return ""

    def _redundant(self) -> str:
        """A module every skill of which another module also offers (work can move)."""
        offered = self._offered_by()
        for module_id, module in sorted(self.modules.items()):
            if module_id != self._unplug_target and all(len(offered[c]) > 1 for c in module.skills):
                return module_id
        return ""

    def _tell(self, line: str) -> None:
        self.log.lines.append(line)
        self._say(f"[story] {line}")

    async def direct(self, events) -> None:
        """Runs the story until cancelled (when every order is done)."""
        if self._fail_target:
            self.modules[self._fail_target].fail_next_execution()
        watching = asyncio.create_task(self._narrate(events))
        try:
            if self._unplug_target:
                await self._unplug_when_busy(self._unplug_target)
            await asyncio.Event().wait()  # the narration goes on until the orders are done
        finally:
            watching.cancel()
            for task in (*self._background, watching):
                task.cancel()
            await asyncio.gather(watching, *self._background, return_exceptions=True)

    async def _unplug_when_busy(self, module_id: str) -> None:
        module = self.modules[module_id]
        while True:
            busy = [
                r
                for r in module.skills.values()
                if r.state is PackMLState.EXECUTE and r.progress > 0
            ]
            if busy:
                operation = busy[0].current.execution_id if busy[0].current else "?"
                break
            await asyncio.sleep(POLL_SECONDS)
        self._tell(
            f"unplugging {module_id} from dock {module.dock} in the middle of execution {operation}"
        )
        task = self.tasks.pop(module_id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self.log.unplugged = f"{module_id} (execution {operation})"
        replacing = asyncio.create_task(self._replace_later(module))
        self._background.add(replacing)

    async def _replace_later(self, old) -> None:
        await asyncio.sleep(REPLACEMENT_DELAY)
        serial = f"{old.serial}-R"
        self._tell(
            f"plugging a replacement {old.kind} into dock {old.dock} "
            f"(same id {old.module_id}, a new unit: serial {serial})"
        )
        module, task = await self._plug_in(old.kind, old.dock, old.module_id, serial)
        self.modules[old.module_id] = module
        self.tasks[old.module_id] = task
        self.log.replaced = f"{old.module_id} on dock {old.dock}, serial {serial}"

    async def _narrate(self, events) -> None:
        """Says what the orchestrator did about each disturbance, from its event log."""
        moved: set[str] = set()  # operations interrupted by the story
        async for response in events:
            event = response.event
            if event.kind == "operation.failed":
                moved.add(event.subject)
                if self._fail_target and event.message.startswith(f"on {self._fail_target} "):
                    self.log.failed = f"{self._fail_target} (during {event.subject})"
                self._tell(f"orchestrator: {event.subject} failed {event.message}; replanning")
            elif event.kind == "operation.started" and event.subject in moved:
                self._tell(f"orchestrator: {event.subject} runs again {event.message}")
            elif (
                event.kind == "module.registered"
                and self.log.unplugged
                and event.subject == self._unplug_target
            ):
                self._tell(f"orchestrator: {event.subject} is back ({event.message})")
