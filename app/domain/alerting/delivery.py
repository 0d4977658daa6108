"""Delivery outcomes and retries: whether a failed send is worth another try, and when."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


class Permanence(enum.StrEnum):
    PERMANENT = "permanent"  # retrying cannot help: a bad URL, refused credentials, no such hook
    TRANSIENT = "transient"  # worth another try: 5xx, rate limits, timeouts, refused connections


# HTTP 4xx that a later attempt may get past; every other 4xx is the sender's fault.
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b|\bHTTP (?:Error |status )?(\d{3})\b", re.I)
# smtplib's errors print as `(535, b'5.7.8 Authentication failed')`.
_SMTP_REPLY = re.compile(r"\((\d{3}), b?['\"]")


def classify_failure(messages: Iterable[str]) -> Permanence:
    """Read a failure's log messages for a status code. Without one (a timeout, a refused
    connection, an error the plugin did not explain) the failure is transient: the retry
    budget bounds what that costs."""
    text = "\n".join(messages)
    for match in _HTTP_STATUS.finditer(text):
        status = int(match.group(1) or match.group(2))
        if 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS:
            return Permanence.PERMANENT
    for match in _SMTP_REPLY.finditer(text):
        if match.group(1).startswith("5"):
            return Permanence.PERMANENT
    return Permanence.TRANSIENT


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(minutes=30)
    max_attempts: int = 8
    # Past this, a notification is stale news: give up even with attempts left.
    give_up_after: timedelta = timedelta(hours=6)


DEFAULT_RETRY_POLICY = RetryPolicy()


def backoff_delay(attempts: int, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 after the first)."""
    if attempts < 1:
        raise ValueError("attempts starts at 1")
    seconds = policy.first_delay.total_seconds() * policy.factor ** min(attempts - 1, 64)
    return timedelta(seconds=min(seconds, policy.max_delay.total_seconds()))


def next_attempt_at(
    permanence: Permanence,
    *,
    attempts: int,
    first_attempt_at: datetime,
    now: datetime,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None to record a final failure."""
    if permanence is Permanence.PERMANENT or attempts >= policy.max_attempts:
        return None
    retry_at = now + backoff_delay(attempts, policy)
    if retry_at > first_attempt_at + policy.give_up_after:
        return None
    return retry_at
