"""Settling an attempt: what to do about it, given what the module and the floor show.

Pure: the executor gathers the facts (the order's state, the module's lease and epoch,
the circuit breaker, the link, the skill's PackML state and the execution it holds, a
QueryExecution answer after a restart) into ``SettlementFacts``; ``settle`` answers
with one ``Decision``; the executor carries it out. No I/O, no clock: every case is a
row in ``tests/execution/test_settlement.py``.

The decisions, in the order they are checked:

1. the order was cancelled -> fail the attempt (Abort the skill first if it holds it);
2. the module has not registered again after our restart, within the grace period
   -> wait; lost, deregistered or never back -> fail, unless the circuit breaker
   tripped (we may be the ones cut off: wait rather than run it twice);
3. the module rebooted (another epoch) -> fail;
4. no link yet -> wait; the module has no such skill -> fail;
5. the attempt was in flight across our restart -> ask the module (QueryExecution);
   its answer settles the attempt (``by_report``);
6. the skill does not hold the execution: Start unconfirmed -> send it again, same id
   (modules never run an id twice); otherwise the subscription has not caught up;
7. Complete -> complete with the skill's results, Reset; Aborted/Stopped -> fail,
   Clear/Reset; Aborting/Stopping -> wait; anything else: it runs.

An attempt failed because its module was lost stays *in doubt* for a while (``Fail``
with ``in_doubt``): the module may only have been cut off. If it comes back and says
(QueryExecution) that it finished the execution after all, ``on_return`` reclaims the
attempt with the module's results, and a re-run made elsewhere meanwhile is superseded
(it does not count: the work is counted once). What marks an attempt in doubt is
stored with it (its error and end), so a restart within the grace still asks
(``in_doubt_for``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.execution.link import ExecutionReport, SkillView
from pnp.v1.opcua import FINISHED_STATES, ExecutionOutcome, PackMLState, SkillMethod


class ModuleStanding(enum.Enum):
    """The attempt's module as the registry knows it now."""

    PLUGGED_IN = "plugged in"  # alive or suspect: it still holds its dock
    LOST = "lost"  # its lease expired
    DEREGISTERED = "deregistered"
    NOT_REGISTERED = "not registered"  # not (yet) registered since our (re)start


@dataclass(frozen=True)
class SettlementFacts:
    """What the executor knows about one active attempt's surroundings, right now."""

    module: ModuleStanding
    module_epoch: int | None = None  # the registered module's current epoch
    order_open: bool = True
    breaker_tripped: bool = False
    in_grace_period: bool = False  # just (re)started: modules are still re-registering
    connected: bool = False  # the link to the module is up
    skill: SkillView | None = None  # the attempt's skill on the module; None: no such skill
    to_ask: bool = False  # in flight across our restart, and the module not asked yet


@dataclass(frozen=True)
class Wait:
    """Nothing to do this pass."""

    why: str


@dataclass(frozen=True)
class MarkRunning:
    """The module holds the execution: a STARTING attempt is RUNNING."""


@dataclass(frozen=True)
class SendStart:
    """Send Start (again) with the attempt's execution id."""


@dataclass(frozen=True)
class Ask:
    """Ask the module what became of the execution (QueryExecution), then settle the
    attempt ``by_report``."""


@dataclass(frozen=True)
class Complete:
    """Record the attempt complete, then send ``tidy`` to bring the skill back to Idle."""

    results: dict[str, Any] | None  # None: read them from the skill (ResultJson)
    tidy: tuple[SkillMethod, ...] = ()


@dataclass(frozen=True)
class Fail:
    """Record the attempt failed (the operation waits for a new attempt)."""

    error: str
    abort_first: bool = False  # Abort the skill before recording (errors ignored)
    tidy: tuple[SkillMethod, ...] = ()
    # The module was lost, not seen to fail: should it come back, ask it (``on_return``).
    in_doubt: bool = False


Decision = Wait | MarkRunning | SendStart | Ask | Complete | Fail


def packml_state(shown: object) -> PackMLState | None:
    """The PackML state a skill shows (its CurrentState name); None when not one."""
    if isinstance(shown, PackMLState):
        return shown
    return PackMLState.from_label(shown) if isinstance(shown, str) else None


def tidy_after(state: PackMLState | None) -> tuple[SkillMethod, ...]:
    """The commands that bring a finished skill back to Idle for its next job."""
    if state in (PackMLState.COMPLETE, PackMLState.STOPPED):
        return (SkillMethod.RESET,)
    if state is PackMLState.ABORTED:
        return (SkillMethod.CLEAR, SkillMethod.RESET)
    return ()


def is_finished(skill: SkillView) -> bool:
    return packml_state(skill.state) in FINISHED_STATES


def is_idle(skill: SkillView) -> bool:
    return packml_state(skill.state) is PackMLState.IDLE


def settle(attempt: Attempt, facts: SettlementFacts) -> Decision:
    """What to do about an active attempt, given the facts."""
    skill = facts.skill
    holds_it = skill is not None and skill.execution_id == attempt.execution_id
    if not facts.order_open:
        return Fail("order cancelled", abort_first=facts.connected and holds_it)
    if facts.module is ModuleStanding.NOT_REGISTERED and facts.in_grace_period:
        return Wait("after a restart, modules need a moment to register again")
    if facts.module is not ModuleStanding.PLUGGED_IN:
        if facts.breaker_tripped and facts.module is not ModuleStanding.NOT_REGISTERED:
            return Wait("circuit breaker tripped: we may be the ones cut off")
        if facts.module is ModuleStanding.DEREGISTERED:
            return Fail(f"module {attempt.module_id} deregistered")
        return Fail(lost_error(attempt.module_id), in_doubt=True)
    if facts.module_epoch != attempt.epoch:
        return Fail("module restarted (new epoch)")
    if not facts.connected:
        return Wait("no link to the module (yet); its lease decides")
    if skill is None:
        return Fail("module has no such skill")
    if facts.to_ask:
        return Ask()
    if not holds_it:
        if attempt.state is AttemptState.STARTING:
            return SendStart()
        return Wait("the subscription has not caught up yet")
    state = packml_state(skill.state)
    if state is PackMLState.COMPLETE:
        return Complete(None, tidy_after(state))
    if state in (PackMLState.ABORTING, PackMLState.STOPPING):
        return Wait("the skill is stopping")
    if state in (PackMLState.ABORTED, PackMLState.STOPPED):
        return Fail(f"skill {state.label.lower()}", tidy=tidy_after(state))
    if attempt.state is AttemptState.STARTING:
        return MarkRunning()
    return Wait("running")


def by_report(attempt: Attempt, report: ExecutionReport, skill: SkillView | None) -> Decision:
    """Settles an attempt left in flight by a previous run, by the module's answer."""
    holds_it = skill is not None and skill.execution_id == attempt.execution_id
    state = packml_state(skill.state) if skill is not None and holds_it else None
    if report.outcome == ExecutionOutcome.RUNNING:
        return MarkRunning() if attempt.state is AttemptState.STARTING else Wait("running")
    if report.outcome == ExecutionOutcome.COMPLETE:
        return Complete(
            dict(report.results),
            tidy_after(state) if state is PackMLState.COMPLETE else (),
        )
    if report.outcome in (ExecutionOutcome.STOPPED, ExecutionOutcome.ABORTED):
        return Fail(
            f"skill {report.outcome} during a restart",
            tidy=tidy_after(state) if state in FINISHED_STATES else (),
        )
    if attempt.state is AttemptState.STARTING:
        return SendStart()  # recorded, but Start never reached the module: send it now
    return Fail("the module does not know this execution")


def lost_error(module_id: str) -> str:
    """The error an attempt is failed with, in doubt, when its module is lost: as stored,
    it is what marks the attempt in doubt for a restart (``in_doubt_for``)."""
    return f"module {module_id} lost"


def in_doubt_for(
    attempt: Attempt, now: datetime, return_grace: float, time_scale: float = 1.0
) -> float:
    """Real seconds the attempt, as the store has it, stays in doubt: it failed because
    its module was lost (not seen to fail) less than ``return_grace`` (real seconds) ago.
    0 when not (any more). A restart has only the store to go by; the module it asks
    when it is back. ``now`` and the stored end are factory time, which runs
    ``time_scale`` times faster than real time (``ScaledClock.scale``)."""
    if attempt.state is not AttemptState.FAILED or attempt.ended_at is None:
        return 0.0
    if attempt.error != lost_error(attempt.module_id):
        return 0.0
    real_seconds_since = (now - attempt.ended_at).total_seconds() / time_scale
    return min(return_grace, max(0.0, return_grace - real_seconds_since))


@dataclass(frozen=True)
class Reclaim:
    """The module finished the in-doubt execution after all: record it complete with
    ``results``, supersede any re-run of its operation, and ``tidy`` the skill."""

    results: dict[str, Any]
    tidy: tuple[SkillMethod, ...] = ()


@dataclass(frozen=True)
class Forget:
    """The in-doubt execution did not finish on the module: the re-run stands."""

    why: str


@dataclass(frozen=True)
class KeepRerun:
    """The module finished the in-doubt execution too, but a re-run elsewhere completed
    first and later steps may already build on it: the first completion counts. Record
    this attempt superseded by the re-run, and ``tidy`` the skill."""

    why: str
    tidy: tuple[SkillMethod, ...] = ()


def on_return(
    attempt: Attempt,
    report: ExecutionReport,
    skill: SkillView | None,
    rerun_completed: bool = False,
) -> Reclaim | KeepRerun | Forget | Wait:
    """A lost module is back: what its answer about an in-doubt attempt means.

    ``rerun_completed``: another attempt of the same operation has already completed."""
    if report.outcome == ExecutionOutcome.COMPLETE:
        holds_it = skill is not None and skill.execution_id == attempt.execution_id
        state = packml_state(skill.state) if skill is not None and holds_it else None
        tidy = tidy_after(state) if state is not None else ()
        if rerun_completed:
            return KeepRerun("a re-run completed first and counts", tidy)
        return Reclaim(dict(report.results), tidy)
    if report.outcome == ExecutionOutcome.RUNNING:
        return Wait("still running on the module that came back: ask again")
    return Forget(f"the module says {report.outcome}")


@dataclass(frozen=True)
class StartAnswer:
    """How a Start call went."""

    accepted: bool = False
    refused: str | None = None  # the module's status code when it refused
    unreachable: bool = False  # the link went down: nobody knows whether it arrived


def after_start(answer: StartAnswer) -> Wait | Fail:
    if answer.unreachable:
        return Wait("still STARTING: sent again, same id, once the link is back")
    if answer.refused is not None:
        return Fail(f"Start refused: {answer.refused}")
    if not answer.accepted:
        return Fail("Start not accepted")
    return Wait("started")
