"""The run's life as storylines: each is what Patrol sees, in order, and how the run ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.run_lifecycle import (
    CANCEL,
    DEADLINE,
    EXECUTION,
    EXIT_GRACE,
    FINALIZE_STALLED,
    REPORT,
    FailureReason,
    Refusal,
    RunSnapshot,
    RunStatus,
    cancelled,
    check_failed,
    decide,
    execution_error,
    exit_decision_due,
    exited_without_report,
    finalize_generation,
    pod_deleted,
    report_refusal,
    should_wait_for_exit,
    start,
    succeeded,
    timed_out,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=30)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def running() -> RunSnapshot:
    started = start(RunSnapshot(), now=T0, timeout=TIMEOUT)
    assert started is not None and started.status is RunStatus.RUNNING
    return started


def test_reported_ok_then_the_pod_exits_0_succeeds() -> None:
    run = decide(running(), REPORT, succeeded(), now=at(2))
    assert run is not None and run.status is RunStatus.SUCCEEDED
    # The exit the watcher sees afterwards decides nothing: the report already did.
    assert decide(run, EXECUTION, exited_without_report(0, "Completed"), now=at(5)) is None


def test_exits_3_before_any_report_and_a_report_inside_the_grace_fails_with_its_errors() -> None:
    run, exited = running(), at(1)
    assert not exit_decision_due(exited, now=at(2))
    run = decide(run, REPORT, check_failed(["disk full"]), now=at(2)) or run
    assert run.status is RunStatus.FAILED and run.errors == ("disk full",)
    assert exit_decision_due(exited, now=exited + EXIT_GRACE)
    assert decide(run, EXECUTION, exited_without_report(3, "Error"), now=at(4)) is None


def test_exits_3_and_no_report_within_the_grace_is_an_error_with_the_exit_code() -> None:
    run, exited = running(), at(1)
    assert exit_decision_due(exited, now=exited + EXIT_GRACE)
    decided = decide(run, EXECUTION, exited_without_report(3, "Error"), now=at(4))
    assert decided is not None and decided.status is RunStatus.ERROR
    assert decided.failure_reason is FailureReason.EXITED_WITHOUT_REPORT
    assert decided.errors == ("the checker pod exited without reporting (exit code 3, Error)",)


def test_the_deadline_passes_then_a_late_report_is_too_late_and_the_run_times_out() -> None:
    run = running()
    assert decide(run, REPORT, succeeded(), now=at(31)) is None
    assert report_refusal(run.status, run.deadline_at, at(31)) is Refusal.TOO_LATE
    timed = decide(run, DEADLINE, timed_out("default", "ping"), now=at(31))
    assert timed is not None and timed.status is RunStatus.TIMED_OUT
    assert report_refusal(timed.status, timed.deadline_at, at(32)) is Refusal.TOO_LATE


def test_a_report_exactly_at_the_deadline_still_counts_and_the_sweep_then_loses() -> None:
    run = decide(running(), REPORT, succeeded(), now=at(30))
    assert run is not None and run.status is RunStatus.SUCCEEDED
    assert decide(run, DEADLINE, timed_out("default", "ping"), now=at(30.5)) is None


def test_the_deadline_sweep_never_times_out_a_run_before_its_deadline() -> None:
    assert decide(running(), DEADLINE, timed_out("default", "ping"), now=at(29)) is None


def test_the_pod_deleted_by_someone_while_running_is_an_error_pod_deleted() -> None:
    decided = decide(running(), EXECUTION, pod_deleted(), now=at(5))
    assert decided is not None and decided.status is RunStatus.ERROR
    assert decided.failure_reason is FailureReason.POD_DELETED


def test_an_image_that_cannot_be_pulled_is_an_error_even_past_the_deadline() -> None:
    outcome = execution_error(FailureReason.IMAGE_PULL, "ErrImagePull")
    decided = decide(running(), EXECUTION, outcome, now=at(45))
    assert decided is not None and decided.failure_reason is FailureReason.IMAGE_PULL


def test_a_second_report_is_refused_as_already_decided_and_changes_nothing() -> None:
    run = decide(running(), REPORT, check_failed(["first"]), now=at(1))
    assert run is not None
    assert decide(run, REPORT, succeeded(), now=at(2)) is None
    assert report_refusal(run.status, run.deadline_at, at(2)) is Refusal.ALREADY_DECIDED


def test_a_report_for_a_run_that_never_started_is_refused_as_not_started() -> None:
    pending = RunSnapshot()
    assert report_refusal(pending.status, pending.deadline_at, at(1)) is Refusal.NOT_STARTED
    assert report_refusal(None, None, at(1)) is Refusal.UNKNOWN_RUN


def test_a_launch_starts_a_pending_run_once() -> None:
    run = running()
    assert start(run, now=at(1), timeout=TIMEOUT) is None
    assert run.deadline_at == T0 + TIMEOUT


def test_a_pending_run_can_be_cancelled_but_a_decided_one_cannot() -> None:
    assert decide(RunSnapshot(), CANCEL, cancelled("check deleted"), now=at(1)) is not None
    done = decide(running(), REPORT, succeeded(), now=at(1))
    assert done is not None and decide(done, CANCEL, cancelled("x"), now=at(2)) is None


@pytest.mark.parametrize(
    ("status", "phase", "decided_after", "waits"),
    [
        (RunStatus.SUCCEEDED, "Running", 2, True),
        (RunStatus.SUCCEEDED, "Running", 11, False),
        (RunStatus.FAILED, "Succeeded", 2, False),
        (RunStatus.TIMED_OUT, "Running", 2, False),
    ],
)
def test_finalize_waits_only_for_a_reporting_checker_still_running_within_the_grace(
    status: RunStatus, phase: str, decided_after: float, waits: bool
) -> None:
    assert should_wait_for_exit(status, phase, T0, at(decided_after)) is waits


def test_a_finalize_that_stalls_is_handed_to_a_new_job_once_per_period() -> None:
    decided = datetime(2026, 1, 1, tzinfo=UTC)

    generations = [
        finalize_generation(decided, decided + offset)
        for offset in (
            timedelta(0),
            FINALIZE_STALLED - timedelta(microseconds=1),
            FINALIZE_STALLED,
            FINALIZE_STALLED * 2.5,
        )
    ]

    assert generations == [0, 0, 1, 2]
    assert finalize_generation(decided, decided - timedelta(seconds=1)) == 0  # clocks differ
