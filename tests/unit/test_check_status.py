"""A check's status in one cluster, as storylines of decided runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.domain.check_status import (
    CheckHealth,
    Decided,
    StatusState,
    Transition,
    after_decision,
    paused,
    resumed,
)
from app.domain.run_lifecycle import RunStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(status: RunStatus, started: float, finished: float | None = None) -> Decided:
    return Decided(
        uuid.uuid4(),
        status,
        T0 + timedelta(seconds=started),
        T0 + timedelta(seconds=finished if finished is not None else started + 1),
    )


def story(*runs: Decided, state: StatusState | None = None) -> tuple[StatusState, list[Transition]]:
    state = state or StatusState()
    transitions = []
    for decided in runs:
        state, transition = after_decision(state, decided)
        if transition is not None:
            transitions.append(transition)
    return state, transitions


def flips(transitions: list[Transition]) -> list[tuple[str, str]]:
    return [(t.previous.value, t.current.value) for t in transitions]


def test_passing_then_failing_twice_then_passing_flips_three_times_and_counts() -> None:
    state, transitions = story(
        run(RunStatus.SUCCEEDED, 0),
        run(RunStatus.FAILED, 10),
        run(RunStatus.FAILED, 20),
        run(RunStatus.SUCCEEDED, 30),
    )
    assert flips(transitions) == [
        ("unknown", "passing"),
        ("passing", "failing"),
        ("failing", "passing"),
    ]
    assert state.consecutive_successes == 1 and state.consecutive_failures == 0
    assert state.since == T0 + timedelta(seconds=31)
    assert state.last_failure_at == T0 + timedelta(seconds=21)


def test_failures_and_execution_errors_both_count_as_not_succeeding() -> None:
    state, transitions = story(
        run(RunStatus.FAILED, 0), run(RunStatus.TIMED_OUT, 10), run(RunStatus.ERROR, 20)
    )
    assert flips(transitions) == [("unknown", "failing"), ("failing", "error")]
    assert state.status is CheckHealth.ERROR and state.consecutive_failures == 3


def test_a_late_decision_of_an_older_run_never_overwrites_a_newer_runs_status() -> None:
    newer, older = run(RunStatus.SUCCEEDED, 20, 21), run(RunStatus.FAILED, 10, 25)
    state, transitions = story(newer, older)
    assert state.status is CheckHealth.PASSING and state.last_run_id == newer.run_id
    assert flips(transitions) == [("unknown", "passing")]
    assert state.consecutive_failures == 0


def test_the_same_outcome_again_is_no_transition() -> None:
    _, transitions = story(run(RunStatus.FAILED, 0), run(RunStatus.FAILED, 10))
    assert len(transitions) == 1


def test_a_cancelled_run_says_nothing_about_the_check() -> None:
    state, transitions = story(run(RunStatus.SUCCEEDED, 0), run(RunStatus.CANCELLED, 10))
    assert state.status is CheckHealth.PASSING and len(transitions) == 1


def test_a_paused_check_stays_paused_while_runs_decide_and_resumes_to_its_last_outcome() -> None:
    state, _ = story(run(RunStatus.SUCCEEDED, 0))
    state, pausing = paused(state, T0 + timedelta(seconds=5))
    assert pausing is not None and flips([pausing]) == [("passing", "paused")]
    state, transitions = story(run(RunStatus.FAILED, 10), state=state)  # a manual run meanwhile
    assert state.status is CheckHealth.PAUSED and transitions == []
    state, resuming = resumed(state, T0 + timedelta(seconds=30))
    assert resuming is not None and flips([resuming]) == [("paused", "failing")]


def test_resuming_a_check_that_never_ran_makes_it_unknown_again() -> None:
    state, _ = paused(StatusState(), T0)
    state, transition = resumed(state, T0 + timedelta(seconds=1))
    assert state.status is CheckHealth.UNKNOWN
    assert transition is not None and flips([transition]) == [("paused", "unknown")]
