from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.alerting.inputs import AlertSubject
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.silences import (
    OneOffWindow,
    RecurringWindow,
    Silence,
    SilenceWindow,
    active,
    covers,
    silencing,
)
from app.errors import InvalidInput
from tests.unit.alerting.story import CHECK, PROD, STAGING

NAMESPACE = SubjectMatcher(namespaces=frozenset({"payments"}))


def silence(window: SilenceWindow, matcher: SubjectMatcher = NAMESPACE, id_: int = 1) -> Silence:
    return Silence(uuid.UUID(int=id_), matcher, window, author="carol", comment="maintenance")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_one_off_silence_is_active_from_its_start_until_just_before_its_end() -> None:
    window = OneOffWindow(at("2025-01-06T10:00:00+00:00"), at("2025-01-06T11:00:00+00:00"))
    hush = silence(window)
    assert not active(hush, at("2025-01-06T09:59:59+00:00"))
    assert active(hush, at("2025-01-06T10:00:00+00:00"))
    assert active(hush, at("2025-01-06T10:59:59+00:00"))
    assert not active(hush, at("2025-01-06T11:00:00+00:00"))


def test_a_nightly_silence_covers_its_window_every_night_and_nothing_else() -> None:
    hush = silence(RecurringWindow("0 2 * * *", timedelta(hours=1)))
    assert active(hush, at("2025-01-06T02:00:00+00:00"))
    assert active(hush, at("2025-01-07T02:59:00+00:00"))
    assert not active(hush, at("2025-01-07T03:00:00+00:00"))
    assert not active(hush, at("2025-01-07T01:59:59+00:00"))
    assert not active(hush, at("2025-01-07T12:00:00+00:00"))


def test_a_recurring_window_may_span_midnight() -> None:
    hush = silence(RecurringWindow("30 23 * * *", timedelta(hours=2)))
    assert active(hush, at("2025-01-07T00:45:00+00:00"))
    assert not active(hush, at("2025-01-07T01:30:00+00:00"))


def test_a_recurring_window_is_read_in_its_time_zone() -> None:
    paris = silence(RecurringWindow("0 2 * * *", timedelta(hours=1), timezone="Europe/Paris"))
    assert active(paris, at("2025-01-06T01:30:00+00:00"))  # 02:30 in Paris, winter
    assert not active(paris, at("2025-01-06T02:30:00+00:00"))
    assert active(paris, at("2025-07-06T00:30:00+00:00"))  # 02:30 in Paris, summer


def test_weekday_windows_follow_the_cron_day_of_week() -> None:
    weekends = silence(RecurringWindow("0 0 * * 6", timedelta(days=2)))
    assert active(weekends, at("2025-01-11T08:00:00+00:00"))  # Saturday
    assert active(weekends, at("2025-01-12T23:00:00+00:00"))  # Sunday
    assert not active(weekends, at("2025-01-13T08:00:00+00:00"))  # Monday


def test_a_silence_covers_only_subjects_its_matchers_name() -> None:
    window = OneOffWindow(at("2025-01-06T10:00:00+00:00"), at("2025-01-06T11:00:00+00:00"))
    now = at("2025-01-06T10:30:00+00:00")
    by_label = silence(window, SubjectMatcher(labels={"team": "payments"}))
    by_other_label = silence(window, SubjectMatcher(labels={"team": "search"}))
    by_cluster = silence(window, SubjectMatcher(cluster_ids=frozenset({PROD.id})))
    by_check = silence(window, SubjectMatcher(check_ids=frozenset({CHECK.id})))
    in_prod, in_staging = AlertSubject(CHECK, PROD), AlertSubject(CHECK, STAGING)
    assert covers(by_label, in_prod, now)
    assert not covers(by_other_label, in_prod, now)
    assert covers(by_cluster, in_prod, now) and not covers(by_cluster, in_staging, now)
    assert covers(by_check, in_staging, now)
    assert not covers(by_cluster, AlertSubject(CHECK), now)
    assert not covers(by_label, in_prod, at("2025-01-06T12:00:00+00:00"))


def test_the_lowest_id_names_the_silence_when_several_cover() -> None:
    window = OneOffWindow(at("2025-01-06T10:00:00+00:00"), at("2025-01-06T11:00:00+00:00"))
    silences = [silence(window, id_=7), silence(window, id_=3), silence(window, id_=5)]
    chosen = silencing(silences, AlertSubject(CHECK, PROD), at("2025-01-06T10:10:00+00:00"))
    assert chosen is not None and chosen.id == uuid.UUID(int=3)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: silence(RecurringWindow("0 2 * *", timedelta(hours=1))), "window.cron"),
        (lambda: silence(RecurringWindow("0 25 * * *", timedelta(hours=1))), "window.cron"),
        (lambda: silence(RecurringWindow("*/5 * * * * *", timedelta(hours=1))), "window.cron"),
        (lambda: silence(RecurringWindow("0 2 * * *", timedelta(0))), "window.duration"),
        (
            lambda: silence(RecurringWindow("0 2 * * *", timedelta(hours=1), "Mars/Olympus")),
            "window.timezone",
        ),
        (
            lambda: silence(
                OneOffWindow(at("2025-01-06T11:00:00+00:00"), at("2025-01-06T10:00:00+00:00"))
            ),
            "window.endsAt",
        ),
        (
            lambda: silence(OneOffWindow(datetime(2025, 1, 6), datetime(2025, 1, 7, tzinfo=UTC))),
            "window.startsAt",
        ),
        (
            lambda: silence(RecurringWindow("0 2 * * *", timedelta(hours=1)), SubjectMatcher()),
            "matchers",
        ),
        (
            lambda: Silence(
                uuid.uuid4(), NAMESPACE, RecurringWindow("0 2 * * *", timedelta(hours=1)), " "
            ),
            "author",
        ),
    ],
)
def test_invalid_silences_are_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field == field
