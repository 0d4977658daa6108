from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.alerting.delivery import (
    Permanence,
    RetryPolicy,
    backoff_delay,
    classify_failure,
    next_attempt_at,
)

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("messages", "permanence"),
    [
        (["Failed to send JSON POST notification: Internal Server Error, error=500."], "transient"),
        (["Failed to send Slack notification: Bad Gateway, error=502."], "transient"),
        (["Failed to send JSON POST notification: Unauthorized, error=401."], "permanent"),
        (["Failed to send Discord notification: Not Found, error=404."], "permanent"),
        (["Failed to send ntfy notification: error=429."], "transient"),
        (["Failed to send notification: error=408."], "transient"),
        (["A Connection error occurred sending JSON notification to ***."], "transient"),
        (
            [
                'Connection error while submitting email to "smtp.example.com"',
                "Socket Exception: (535, b'5.7.8 Authentication credentials invalid')",
            ],
            "permanent",
        ),
        (["Socket Exception: (421, b'4.7.0 Try again later')"], "transient"),
        (["something nobody explained"], "transient"),
        ([], "transient"),
    ],
)
def test_failures_are_classified_by_the_status_their_messages_carry(
    messages: list[str], permanence: str
) -> None:
    assert classify_failure(messages) is Permanence(permanence)


def test_the_backoff_doubles_from_thirty_seconds_up_to_thirty_minutes() -> None:
    delays = [backoff_delay(attempt) for attempt in range(1, 9)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert delays[-1] == timedelta(minutes=30)
    assert backoff_delay(10_000) == timedelta(minutes=30)


def test_a_transient_failure_is_retried_until_the_attempts_run_out() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert next_attempt_at(
        Permanence.TRANSIENT, attempts=1, first_attempt_at=NOW, now=NOW, policy=policy
    ) == NOW + timedelta(seconds=30)
    assert (
        next_attempt_at(
            Permanence.TRANSIENT, attempts=3, first_attempt_at=NOW, now=NOW, policy=policy
        )
        is None
    )


def test_a_permanent_failure_is_never_retried() -> None:
    assert next_attempt_at(Permanence.PERMANENT, attempts=1, first_attempt_at=NOW, now=NOW) is None


def test_a_notification_is_not_retried_past_its_time_budget() -> None:
    policy = RetryPolicy(give_up_after=timedelta(hours=1), max_attempts=100)
    late = NOW + timedelta(minutes=45)
    assert (
        next_attempt_at(
            Permanence.TRANSIENT, attempts=6, first_attempt_at=NOW, now=late, policy=policy
        )
        is None
    )
