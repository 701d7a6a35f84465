"""Settling an attempt, as a table: the facts about it in, one decision out.

Each row is one situation the executor meets; ``settle`` (and ``by_report`` for the
answers to QueryExecution after a restart, ``after_start`` for the answer to Start)
must give exactly the decision in the row. No modules, no sockets, no clock.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pnp.orchestrator.domain.attempts import Attempt, AttemptState
from pnp.orchestrator.execution.link import ExecutionReport, SkillView
from pnp.orchestrator.execution.settlement import (
    Ask,
    Complete,
    Decision,
    Fail,
    Forget,
    KeepRerun,
    MarkRunning,
    ModuleStanding,
    Reclaim,
    SendStart,
    SettlementFacts,
    StartAnswer,
    Wait,
    after_start,
    by_report,
    in_doubt_for,
    is_finished,
    is_idle,
    on_return,
    settle,
    tidy_after,
)
from pnp.v1.opcua import PackMLState, SkillMethod

X = "x-1"
RESET = (SkillMethod.RESET,)
CLEAR_RESET = (SkillMethod.CLEAR, SkillMethod.RESET)

STARTING = Attempt(
    execution_id=X,
    operation_id="o1/cut#1",
    order_id="o1",
    module_id="laser",
    epoch=2,
    capability="cutting.laser",
    parameters={},
    units=1,
    state=AttemptState.STARTING,
    started_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
)
RUNNING = dataclasses.replace(STARTING, state=AttemptState.RUNNING)


def showing(state: str, execution_id: str = X) -> SkillView:
    return SkillView(state, execution_id)


# A healthy module, connected, its skill running our execution.
HEALTHY = SettlementFacts(
    module=ModuleStanding.PLUGGED_IN,
    module_epoch=2,
    connected=True,
    skill=showing("Execute"),
)


def facts(**changes: Any) -> SettlementFacts:
    return dataclasses.replace(HEALTHY, **changes)


def waits(decision: Decision) -> bool:
    return isinstance(decision, Wait)


SETTLE = [
    # -- the order -------------------------------------------------------------------
    pytest.param(
        RUNNING,
        facts(order_open=False),
        Fail("order cancelled", abort_first=True),
        id="a_cancelled_order_aborts_the_skill_holding_its_execution_and_fails_the_attempt",
    ),
    pytest.param(
        RUNNING,
        facts(order_open=False, skill=showing("Idle", "")),
        Fail("order cancelled"),
        id="a_cancelled_order_fails_the_attempt_without_abort_when_the_skill_does_not_hold_it",
    ),
    pytest.param(
        RUNNING,
        facts(order_open=False, connected=False),
        Fail("order cancelled"),
        id="a_cancelled_order_fails_the_attempt_without_abort_when_the_link_is_down",
    ),
    pytest.param(
        RUNNING,
        facts(order_open=False, module=ModuleStanding.LOST, breaker_tripped=True),
        Fail("order cancelled", abort_first=True),
        id="cancellation_wins_over_everything_else",
    ),
    # -- the module's lease -------------------------------------------------------------
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.NOT_REGISTERED, module_epoch=None, in_grace_period=True),
        Wait,
        id="after_a_restart_a_module_not_registered_yet_is_waited_for_within_the_grace_period",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.NOT_REGISTERED, module_epoch=None),
        Fail("module laser lost", in_doubt=True),
        id="a_module_not_back_after_the_grace_period_fails_its_attempt_in_doubt",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.NOT_REGISTERED, module_epoch=None, breaker_tripped=True),
        Fail("module laser lost", in_doubt=True),
        id="the_breaker_does_not_save_attempts_of_modules_that_never_came_back",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.LOST),
        Fail("module laser lost", in_doubt=True),
        id="a_lost_module_fails_its_attempt_in_doubt_it_may_come_back_with_it_done",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.DEREGISTERED),
        Fail("module laser deregistered"),
        id="a_deregistered_module_fails_its_attempt_for_good",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.LOST, in_grace_period=True),
        Fail("module laser lost", in_doubt=True),
        id="the_grace_period_only_covers_modules_not_registered_again",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.LOST, breaker_tripped=True),
        Wait,
        id="a_tripped_breaker_keeps_attempts_on_lost_modules_we_may_be_the_ones_cut_off",
    ),
    pytest.param(
        RUNNING,
        facts(module=ModuleStanding.DEREGISTERED, breaker_tripped=True),
        Wait,
        id="a_tripped_breaker_keeps_attempts_on_deregistered_modules_too",
    ),
    pytest.param(
        RUNNING,
        facts(module_epoch=3),
        Fail("module restarted (new epoch)"),
        id="a_rebooted_module_new_epoch_fails_its_attempt",
    ),
    pytest.param(
        STARTING,
        facts(module_epoch=3, connected=False),
        Fail("module restarted (new epoch)"),
        id="a_new_epoch_fails_the_attempt_even_before_the_link_is_back",
    ),
    # -- the link and the skill ---------------------------------------------------------
    pytest.param(
        RUNNING,
        facts(connected=False, skill=None),
        Wait,
        id="without_a_link_the_attempt_waits_and_the_lease_decides",
    ),
    pytest.param(
        RUNNING,
        facts(skill=None),
        Fail("module has no such skill"),
        id="a_module_without_the_skill_fails_the_attempt",
    ),
    # -- after our restart: ask before anything else --------------------------------------
    pytest.param(
        RUNNING,
        facts(to_ask=True, skill=showing("Complete")),
        Ask(),
        id="an_attempt_in_flight_across_a_restart_is_asked_about_not_read_from_the_skill",
    ),
    pytest.param(
        STARTING,
        facts(to_ask=True, skill=showing("Idle", "")),
        Ask(),
        id="an_unconfirmed_start_from_before_a_restart_is_asked_about_before_resending",
    ),
    pytest.param(
        RUNNING,
        facts(to_ask=True, connected=False),
        Wait,
        id="asking_waits_for_the_link",
    ),
    # -- the skill does not hold our execution ---------------------------------------------
    pytest.param(
        STARTING,
        facts(skill=showing("Idle", "")),
        SendStart(),
        id="an_unconfirmed_start_is_sent_again_with_the_same_execution_id",
    ),
    pytest.param(
        STARTING,
        facts(skill=showing("Complete", "x-other")),
        SendStart(),
        id="an_unconfirmed_start_is_sent_again_even_while_the_skill_shows_another_execution",
    ),
    pytest.param(
        RUNNING,
        facts(skill=showing("Idle", "")),
        Wait,
        id="a_running_attempt_the_skill_does_not_show_yet_waits_for_the_subscription",
    ),
    # -- the skill holds our execution ---------------------------------------------------
    pytest.param(
        RUNNING,
        facts(skill=showing("Complete")),
        Complete(None, RESET),
        id="complete_records_the_skills_results_and_resets_it",
    ),
    pytest.param(
        STARTING,
        facts(skill=showing("Complete")),
        Complete(None, RESET),
        id="complete_before_the_start_was_confirmed_still_completes",
    ),
    pytest.param(
        RUNNING,
        facts(skill=showing("Aborted")),
        Fail("skill aborted", tidy=CLEAR_RESET),
        id="aborted_fails_the_attempt_then_clears_and_resets_the_skill",
    ),
    pytest.param(
        RUNNING,
        facts(skill=showing("Stopped")),
        Fail("skill stopped", tidy=RESET),
        id="stopped_fails_the_attempt_then_resets_the_skill",
    ),
    pytest.param(
        RUNNING,
        facts(skill=showing("Aborting")),
        Wait,
        id="aborting_waits_for_aborted",
    ),
    pytest.param(
        RUNNING,
        facts(skill=showing("Stopping")),
        Wait,
        id="stopping_waits_for_stopped",
    ),
    pytest.param(
        STARTING,
        facts(skill=showing("Execute")),
        MarkRunning(),
        id="a_skill_executing_our_id_confirms_the_start",
    ),
    pytest.param(
        STARTING,
        facts(skill=showing("Starting")),
        MarkRunning(),
        id="a_skill_starting_our_id_confirms_the_start",
    ),
    pytest.param(
        STARTING,
        facts(skill=showing("Held")),
        MarkRunning(),
        id="a_held_skill_holding_our_id_confirms_the_start",
    ),
    pytest.param(
        STARTING,
        facts(skill=showing("Unknown")),
        MarkRunning(),
        id="a_state_name_packml_does_not_have_with_our_id_confirms_the_start",
    ),
    pytest.param(
        RUNNING,
        facts(skill=showing("Execute")),
        Wait,
        id="a_running_attempt_on_an_executing_skill_waits",
    ),
    pytest.param(
        RUNNING,
        facts(in_grace_period=True, breaker_tripped=True, skill=showing("Complete")),
        Complete(None, RESET),
        id="grace_and_breaker_do_not_hold_back_a_module_that_is_plugged_in",
    ),
]


@pytest.mark.parametrize(("attempt", "given", "expected"), SETTLE)
def test_settle(attempt: Attempt, given: SettlementFacts, expected: object) -> None:
    decision = settle(attempt, given)
    if expected is Wait:
        assert waits(decision), decision
    else:
        assert decision == expected


def report(outcome: str, **results: object) -> ExecutionReport:
    return ExecutionReport(outcome, dict(results))


BY_REPORT = [
    pytest.param(
        STARTING,
        report("running"),
        showing("Execute"),
        MarkRunning(),
        id="running_confirms_an_unconfirmed_start",
    ),
    pytest.param(
        RUNNING, report("running"), showing("Execute"), Wait, id="running_is_followed_from_now_on"
    ),
    pytest.param(
        RUNNING,
        report("complete", units=1),
        showing("Complete"),
        Complete({"units": 1}, RESET),
        id="complete_records_the_results_from_the_answer_and_resets_the_skill",
    ),
    pytest.param(
        RUNNING,
        report("complete", units=1),
        showing("Execute", "x-next"),
        Complete({"units": 1}),
        id="complete_leaves_a_skill_alone_that_already_holds_another_execution",
    ),
    pytest.param(
        STARTING,
        report("complete", units=1),
        None,
        Complete({"units": 1}),
        id="complete_needs_no_skill_view_to_be_recorded",
    ),
    pytest.param(
        RUNNING,
        report("aborted"),
        showing("Aborted"),
        Fail("skill aborted during a restart", tidy=CLEAR_RESET),
        id="aborted_fails_and_clears_and_resets_the_skill_holding_it",
    ),
    pytest.param(
        RUNNING,
        report("stopped"),
        showing("Stopped"),
        Fail("skill stopped during a restart", tidy=RESET),
        id="stopped_fails_and_resets_the_skill_holding_it",
    ),
    pytest.param(
        RUNNING,
        report("aborted"),
        showing("Complete"),
        Fail("skill aborted during a restart", tidy=RESET),
        id="a_failed_answer_tidies_whatever_finished_state_the_skill_shows",
    ),
    pytest.param(
        RUNNING,
        report("stopped"),
        showing("Idle", ""),
        Fail("skill stopped during a restart"),
        id="a_failed_answer_leaves_an_idle_skill_alone",
    ),
    pytest.param(
        STARTING,
        report("unknown"),
        showing("Idle", ""),
        SendStart(),
        id="unknown_and_never_confirmed_means_start_never_arrived_send_it_now_same_id",
    ),
    pytest.param(
        RUNNING,
        report("unknown"),
        showing("Idle", ""),
        Fail("the module does not know this execution"),
        id="unknown_but_should_have_been_running_fails_and_the_operation_runs_again",
    ),
    pytest.param(
        RUNNING,
        report("something-new"),
        showing("Idle", ""),
        Fail("the module does not know this execution"),
        id="an_outcome_we_do_not_know_is_treated_as_unknown",
    ),
]


@pytest.mark.parametrize(("attempt", "answer", "skill", "expected"), BY_REPORT)
def test_by_report(
    attempt: Attempt, answer: ExecutionReport, skill: SkillView | None, expected: object
) -> None:
    decision = by_report(attempt, answer, skill)
    if expected is Wait:
        assert waits(decision), decision
    else:
        assert decision == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(StartAnswer(accepted=True), Wait, id="an_accepted_start_waits_to_be_seen"),
        pytest.param(
            StartAnswer(unreachable=True),
            Wait,
            id="a_start_lost_with_the_link_stays_starting_to_be_sent_again",
        ),
        pytest.param(
            StartAnswer(refused="BadInvalidState"),
            Fail("Start refused: BadInvalidState"),
            id="a_refused_start_fails_the_attempt",
        ),
        pytest.param(
            StartAnswer(accepted=False), Fail("Start not accepted"), id="a_declined_start_fails"
        ),
    ],
)
def test_after_start(answer: StartAnswer, expected: object) -> None:
    decision = after_start(answer)
    if expected is Wait:
        assert waits(decision), decision
    else:
        assert decision == expected


@pytest.mark.parametrize(
    ("state", "commands"),
    [
        (PackMLState.COMPLETE, RESET),
        (PackMLState.STOPPED, RESET),
        (PackMLState.ABORTED, CLEAR_RESET),
        (PackMLState.EXECUTE, ()),
        (PackMLState.IDLE, ()),
        (None, ()),
    ],
)
def test_a_finished_skill_is_brought_back_to_idle_by_its_states_commands(
    state: PackMLState | None, commands: tuple[SkillMethod, ...]
) -> None:
    assert tidy_after(state) == commands


def test_skill_states_are_read_by_their_packml_names() -> None:
    assert is_idle(showing("Idle", "")) and not is_idle(showing("Unknown"))
    assert [
        s for s in ("Complete", "Aborted", "Stopped", "Stopping", "Idle") if is_finished(showing(s))
    ] == [
        "Complete",
        "Aborted",
        "Stopped",
    ]


# A lost module came back; its attempt was failed in doubt and the operation may have
# been run again elsewhere. What its answer about the first execution means.
ON_RETURN = [
    pytest.param(
        report("complete", units=1),
        showing("Complete"),
        Reclaim({"units": 1}, RESET),
        False,
        id="finished_after_all_the_first_attempt_counts_with_its_results_and_the_skill_resets",
    ),
    pytest.param(
        report("complete", units=1),
        showing("Idle", ""),
        Reclaim({"units": 1}),
        False,
        id="finished_and_already_reset_on_the_module_still_counts",
    ),
    pytest.param(
        report("running"),
        showing("Execute"),
        Wait,
        False,
        id="still_running_on_the_module_is_asked_again",
    ),
    pytest.param(
        report("complete", units=1),
        showing("Complete"),
        KeepRerun("a re-run completed first and counts", RESET),
        True,
        id="finished_after_a_re_run_completed_the_re_run_counts_and_the_skill_resets",
    ),
    pytest.param(
        report("running"),
        showing("Execute"),
        Wait,
        True,
        id="still_running_after_a_re_run_completed_is_asked_again",
    ),
    pytest.param(
        report("aborted"),
        showing("Aborted"),
        Forget("the module says aborted"),
        False,
        id="aborted_there_the_re_run_stands",
    ),
    pytest.param(
        report("unknown"),
        showing("Idle", ""),
        Forget("the module says unknown"),
        False,
        id="a_module_that_forgot_it_rebooted_the_re_run_stands",
    ),
]


@pytest.mark.parametrize(("answer", "skill", "expected", "rerun_completed"), ON_RETURN)
def test_on_return(
    answer: ExecutionReport, skill: SkillView, expected: object, rerun_completed: bool
) -> None:
    decision = on_return(RUNNING, answer, skill, rerun_completed)
    if expected is Wait:
        assert waits(decision), decision
    else:
        assert decision == expected


ENDED = datetime(2026, 12, 1, 8, 5, tzinfo=UTC)
LOST_THERE = dataclasses.replace(
    RUNNING, state=AttemptState.FAILED, ended_at=ENDED, error="module laser lost"
)
IN_DOUBT_AFTER_A_RESTART = [
    pytest.param(LOST_THERE, 20, 40.0, id="lost_20_s_ago_40_s_of_a_60_s_grace_are_left"),
    pytest.param(LOST_THERE, 61, 0.0, id="lost_longer_ago_than_the_grace_no_more_in_doubt"),
    pytest.param(
        dataclasses.replace(LOST_THERE, error="skill aborted"),
        1,
        0.0,
        id="seen_to_fail_not_in_doubt",
    ),
    pytest.param(
        dataclasses.replace(LOST_THERE, error="module laser deregistered"),
        1,
        0.0,
        id="failed_with_a_deregistered_module_not_in_doubt",
    ),
    pytest.param(
        dataclasses.replace(LOST_THERE, state=AttemptState.COMPLETE),
        1,
        0.0,
        id="reclaimed_already_not_in_doubt",
    ),
]


@pytest.mark.parametrize(("stored", "seconds_later", "left"), IN_DOUBT_AFTER_A_RESTART)
def test_a_restart_finds_what_is_in_doubt_in_the_stored_attempt(
    stored: Attempt, seconds_later: float, left: float
) -> None:
    assert in_doubt_for(stored, ENDED + timedelta(seconds=seconds_later), 60.0) == left


def test_what_a_lost_module_fails_its_attempt_with_marks_it_in_doubt() -> None:
    decision = settle(RUNNING, facts(module=ModuleStanding.LOST))
    assert isinstance(decision, Fail) and decision.in_doubt
    failed = dataclasses.replace(
        RUNNING, state=AttemptState.FAILED, ended_at=ENDED, error=decision.error
    )
    assert in_doubt_for(failed, ENDED, 60.0) == 60.0


@pytest.mark.parametrize(
    ("factory_seconds_later", "left"),
    [
        pytest.param(600, 30.0, id="half_the_grace_in_real_time_left"),
        pytest.param(1200, 0.0, id="the_whole_grace_in_real_time_gone"),
        pytest.param(-100, 60.0, id="a_clock_set_back_never_extends_the_grace"),
    ],
)
def test_a_return_grace_in_real_seconds_is_measured_in_real_seconds_under_a_time_scale(
    factory_seconds_later: float, left: float
) -> None:
    """Factory time (``--time-scale 20``) runs 20 times faster than the grace, which is
    real seconds: 600 factory seconds are 30 real ones."""
    now = ENDED + timedelta(seconds=factory_seconds_later)
    assert in_doubt_for(LOST_THERE, now, 60.0, time_scale=20) == left
