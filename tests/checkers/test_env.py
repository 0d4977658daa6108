from __future__ import annotations

from datetime import timedelta

import pytest

from app.checkers._env import (
    ConfigError,
    read_bool,
    read_deadline,
    read_duration,
    read_int,
    read_str,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5", timedelta(seconds=5)),
        ("1.5", timedelta(seconds=1.5)),
        ("250ms", timedelta(milliseconds=250)),
        ("5s", timedelta(seconds=5)),
        ("1m30s", timedelta(seconds=90)),
        ("1h", timedelta(hours=1)),
    ],
)
def test_durations_are_seconds_or_go_syntax(raw: str, expected: timedelta) -> None:
    assert read_duration({"SECONDS": raw}, "SECONDS", timedelta(0)) == expected


@pytest.mark.parametrize("raw", ["5 seconds", "-1s", "-3", "1d", "s", "nan"])
def test_a_bad_duration_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^CONNECTION_TIMEOUT="):
        read_duration({"CONNECTION_TIMEOUT": raw}, "CONNECTION_TIMEOUT", timedelta(seconds=5))


def test_unset_or_blank_settings_take_their_defaults() -> None:
    environ = {"COUNT": "  "}
    assert read_int(environ, "COUNT", 1) == 1
    assert read_bool(environ, "INSECURE", False) is False
    assert read_duration(environ, "SECONDS", timedelta(0)) == timedelta(0)
    assert read_str(environ, "REQUEST_TYPE", "GET") == "GET"


def test_a_missing_required_setting_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^CHECK_URL is not set$"):
        read_str({}, "CHECK_URL")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("F", False), ("0", False)],
)
def test_booleans_read_like_go_strconv(raw: str, expected: bool) -> None:
    assert read_bool({"INSECURE": raw}, "INSECURE", not expected) is expected


def test_a_bad_boolean_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="INSECURE='maybe' is not a boolean"):
        read_bool({"INSECURE": "maybe"}, "INSECURE", False)


def test_integers_are_checked_against_their_bounds() -> None:
    with pytest.raises(ConfigError, match="PASSING_PERCENT=101 is above the maximum of 100"):
        read_int({"PASSING_PERCENT": "101"}, "PASSING_PERCENT", 100, maximum=100)
    with pytest.raises(ConfigError, match="COUNT='five' is not a whole number"):
        read_int({"COUNT": "five"}, "COUNT", 1)


def test_the_run_deadline_is_unix_seconds_or_absent() -> None:
    assert read_deadline({"KH_CHECK_RUN_DEADLINE": "1700000000"}) == 1_700_000_000
    assert read_deadline({}) is None
    with pytest.raises(ConfigError, match="KH_CHECK_RUN_DEADLINE"):
        read_deadline({"KH_CHECK_RUN_DEADLINE": "tomorrow"})
