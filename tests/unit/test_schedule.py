from datetime import UTC, datetime, timedelta

import pytest

from app.domain.schedule import decide_slot, first_due

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_an_on_time_slot_runs_and_the_next_is_one_interval_later() -> None:
    decision = decide_slot(T0, MINUTE, T0 + timedelta(milliseconds=30))
    assert (decision.slot, decision.skipped, decision.next_due) == (T0, 0, T0 + MINUTE)


def test_lateness_within_an_interval_does_not_drift_the_rhythm() -> None:
    decision = decide_slot(T0, MINUTE, T0 + timedelta(seconds=59))
    assert decision.next_due == T0 + MINUTE


def test_a_backlog_runs_once_and_counts_the_skipped_slots() -> None:
    decision = decide_slot(T0, MINUTE, T0 + timedelta(minutes=10, seconds=5))
    assert decision.slot == T0 + 10 * MINUTE
    assert decision.skipped == 10
    assert decision.next_due == T0 + 11 * MINUTE


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError):
        decide_slot(T0, timedelta(0), T0)


def test_a_rescheduled_check_keeps_its_rhythm_or_starts_now() -> None:
    assert first_due(T0, MINUTE, previous_slot=None) == T0
    assert first_due(T0, MINUTE, previous_slot=T0 - timedelta(seconds=20)) == T0 + timedelta(
        seconds=40
    )
    assert first_due(T0, MINUTE, previous_slot=T0 - timedelta(hours=1)) == T0
