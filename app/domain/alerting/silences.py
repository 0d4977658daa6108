"""Silences: matchers plus a window, one-off or recurring (cron + duration, in a named time zone).
A silenced transition is still recorded; only its notification is withheld."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from app.domain.alerting.inputs import AlertSubject
from app.domain.alerting.matchers import SubjectMatcher, matches
from app.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class OneOffWindow:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class RecurringWindow:
    """Opens at each time the five-field cron expression names, read in `timezone`, for
    `duration` of elapsed time (so a window across a DST change lasts what it says)."""

    cron: str
    duration: timedelta
    timezone: str = "UTC"


SilenceWindow = OneOffWindow | RecurringWindow


@dataclass(frozen=True, slots=True)
class Silence:
    id: uuid.UUID
    matcher: SubjectMatcher
    window: SilenceWindow
    author: str
    comment: str = ""

    def __post_init__(self) -> None:
        if self.matcher == SubjectMatcher():
            raise InvalidInput(
                "a silence needs at least one matcher (check, namespace, labels or cluster)",
                field="matchers",
            )
        if not self.author.strip():
            raise InvalidInput("a silence needs an author", field="author")
        match self.window:
            case OneOffWindow(starts_at=starts, ends_at=ends):
                _aware(starts, "window.startsAt")
                _aware(ends, "window.endsAt")
                if ends <= starts:
                    raise InvalidInput("endsAt must be after startsAt", field="window.endsAt")
            case RecurringWindow(cron=expression, duration=duration, timezone=zone):
                if len(expression.split()) != 5 or not croniter.is_valid(expression):
                    raise InvalidInput(
                        f"invalid cron expression {expression!r}: use five fields, "
                        "minute hour day-of-month month day-of-week (e.g. '0 2 * * *')",
                        field="window.cron",
                    )
                if not _names_a_date(expression):
                    raise InvalidInput(
                        f"cron expression {expression!r} names no date that exists "
                        "(e.g. the 31st of February)",
                        field="window.cron",
                    )
                if duration <= timedelta(0):
                    raise InvalidInput("must be a positive duration", field="window.duration")
                time_zone(zone)


def _names_a_date(expression: str) -> bool:
    """croniter accepts `0 2 31 2 *` but cannot find a time for it (and raises while judging)."""
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}: use an IANA name such as UTC or Europe/Paris",
            field="window.timezone",
        ) from None


def active(silence: Silence, now: datetime) -> bool:
    match silence.window:
        case OneOffWindow(starts_at=starts, ends_at=ends):
            return starts <= now < ends
        case RecurringWindow(cron=expression, duration=duration, timezone=zone):
            opened = last_opening(expression, time_zone(zone), now)
            return opened <= now < opened + duration


def last_opening(expression: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The latest time at or before `now` that the cron expression names, in UTC.

    The latest opening is enough: a window that opened earlier closes earlier too.
    """
    local = now.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    opened: datetime = croniter(expression, local).get_prev(datetime)
    return opened.astimezone(UTC)


def covers(silence: Silence, subject: AlertSubject, now: datetime) -> bool:
    return active(silence, now) and matches(silence.matcher, subject)


def silencing(silences: Iterable[Silence], subject: AlertSubject, now: datetime) -> Silence | None:
    """The silence that hushes `subject` at `now`; the lowest id when several do, so that
    evaluating twice names the same one."""
    covering = [silence for silence in silences if covers(silence, subject, now)]
    return min(covering, key=lambda silence: silence.id, default=None)


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise InvalidInput("needs a time zone (use UTC)", field=name)
