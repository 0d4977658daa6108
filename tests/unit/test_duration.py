from datetime import timedelta

import pytest

from app.domain.duration import format_duration, parse_duration
from app.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("2m", timedelta(minutes=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("1m30.5s", timedelta(seconds=90.5)),
        ("0", timedelta(0)),
        (" 5m ", timedelta(minutes=5)),
        ("-5s", timedelta(seconds=-5)),
    ],
)
def test_go_durations_parse_like_go(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "5d", "1h 30m", "1.2.3s", "abc", "-"])
def test_unparsable_durations_are_rejected_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInput, match="Go duration syntax") as raised:
        parse_duration(text, field="runInterval")
    assert raised.value.field == "runInterval"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=30), "30s"),
        (timedelta(minutes=2), "2m0s"),
        (timedelta(hours=1, minutes=30), "1h30m0s"),
        (timedelta(seconds=22.512279), "22.512279s"),
        (timedelta(milliseconds=250), "250ms"),
        (timedelta(0), "0s"),
    ],
)
def test_durations_format_like_go_duration_string(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_formatting_round_trips_through_parsing() -> None:
    for value in (timedelta(hours=26, seconds=1), timedelta(seconds=0.5), timedelta(minutes=10)):
        assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    "text", ["99999999999999999999h", "2562048h", "9" * 400 + "h", "-99999999999999999999h"]
)
def test_durations_beyond_gos_range_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput, match="maximum of about 292 years") as raised:
        parse_duration(text, field="timeout")
    assert raised.value.field == "timeout"
    assert len(raised.value.message) < 200


def test_the_longest_go_duration_still_parses() -> None:
    assert parse_duration("2562047h") == timedelta(hours=2562047)
