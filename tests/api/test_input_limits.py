"""Inputs too large, too deep or absurd are the client's mistake: BAD_USER_INPUT, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import CREATE_CHECK, UPDATE_CHECK, check_input, error_codes


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"timeout": "99999999999999999999h"},
            "timeout",
            "invalid duration '99999999999999999999h': longer than Go's maximum of about 292 years",
        ),
        (
            {"runInterval": "8785h"},
            "runInterval",
            "runInterval: at most 366 days (8784h0m0s), got 8785h0m0s",
        ),
        (
            {"runInterval": None, "timeout": "400000h"},
            "timeout",
            "timeout: at most 366 days (8784h0m0s), got 400000h0m0s",
        ),
    ],
)
async def test_absurd_durations_are_bad_input(
    execute: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    result = await execute(CREATE_CHECK, {"input": check_input(**overrides)})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]
    assert result.errors[0].message == message


async def test_a_run_interval_of_366_days_is_accepted(gql: Any, execute: Any) -> None:
    created = await gql(CREATE_CHECK, {"input": check_input(runInterval="8784h")})
    result = await execute(
        UPDATE_CHECK,
        {"input": {"id": created["createCheck"]["id"], "timeout": "1" + "0" * 30 + "s"}},
    )
    assert created["createCheck"]["runInterval"] == "8784h0m0s"
    assert error_codes(result) == [("BAD_USER_INPUT", "timeout")]
