"""Silences through the API: one-off and recurring windows, the author taken from the token,
expiring (the window is kept, it never silences again) and deleting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db import SessionFactory
from app.domain.access import Role
from app.models.columns import utcnow
from app.services.alerting.book import load_catalog
from tests.api.alerting_operations import (
    CREATE_SILENCE,
    DELETE_SILENCE,
    EXPIRE_SILENCE,
    SILENCES,
)
from tests.api.builders import error_codes
from tests.api.conftest import ExecuteAs

NIGHTLY = {"recurring": {"cron": "0 2 * * *", "duration": "2h", "timezone": "Europe/Paris"}}


def one_off(minutes: int, starts_in: int | None = None) -> dict[str, Any]:
    now = utcnow()
    window: dict[str, Any] = {"endsAt": (now + timedelta(minutes=minutes)).isoformat()}
    if starts_in is not None:
        window["startsAt"] = (now + timedelta(minutes=starts_in)).isoformat()
    return {"oneOff": window}


async def test_a_one_off_silence_is_active_now_and_names_its_author(
    execute_as: ExecuteAs,
) -> None:
    editor = await execute_as(Role.EDITOR)
    result = await editor(
        CREATE_SILENCE,
        {
            "input": {
                "matchers": {"namespaces": ["payments"], "clusterLabels": {"env": "prod"}},
                "window": one_off(60),
                "comment": "  db migration ",
            }
        },
    )
    assert result.errors is None and result.data is not None
    silence = result.data["createSilence"]
    assert silence["author"].startswith("test-editor-")
    assert silence["comment"] == "db migration" and silence["active"] is True
    assert silence["window"]["__typename"] == "OneOffWindow"
    assert silence["matchers"]["namespaces"] == ["payments"]
    listed = await editor(SILENCES, {"all": False})
    assert listed.data == {"silences": [silence]}


async def test_a_recurring_silence_keeps_its_cron_duration_and_time_zone(gql: Any) -> None:
    silence = (
        await gql(
            CREATE_SILENCE,
            {"input": {"matchers": {"labels": {"team": "payments"}}, "window": NIGHTLY}},
        )
    )["createSilence"]
    assert silence["window"] == {
        "__typename": "RecurringWindow",
        "cron": "0 2 * * *",
        "duration": "2h0m0s",
        "timezone": "Europe/Paris",
    }


async def test_a_future_one_off_silence_is_not_active_yet(gql: Any) -> None:
    silence = (
        await gql(
            CREATE_SILENCE,
            {"input": {"matchers": {"namespaces": ["web"]}, "window": one_off(120, 60)}},
        )
    )["createSilence"]
    assert silence["active"] is False


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"matchers": {}, "window": NIGHTLY}, "matchers"),
        (
            {
                "matchers": {"namespaces": ["web"]},
                "window": {"recurring": {"cron": "0 2 * *", "duration": "1h"}},
            },
            "window.cron",
        ),
        (
            {
                "matchers": {"namespaces": ["web"]},
                "window": {"recurring": {"cron": "0 2 * * *", "duration": "0s"}},
            },
            "window.duration",
        ),
        (
            {
                "matchers": {"namespaces": ["web"]},
                "window": {
                    "recurring": {"cron": "0 2 * * *", "duration": "1h", "timezone": "Mars/Base"}
                },
            },
            "window.timezone",
        ),
        (
            {
                "matchers": {"namespaces": ["web"]},
                "window": {"recurring": {"cron": "0 2 31 2 *", "duration": "1h"}},
            },
            "window.cron",
        ),
        ({"matchers": {"namespaces": ["web"]}, "window": one_off(-5)}, "window.endsAt"),
        ({"matchers": {"namespaces": ["web"]}, "window": one_off(5, 10)}, "window.endsAt"),
        (
            {
                "matchers": {"namespaces": ["web"]},
                "window": {"oneOff": {"endsAt": "2030-01-01T00:00:00"}},
            },
            "window.endsAt",
        ),
        (
            {"matchers": {"namespaces": ["web"]}, "window": NIGHTLY, "comment": "x" * 2001},
            "comment",
        ),
    ],
)
async def test_invalid_silences_are_bad_input_naming_the_field(
    execute: Any, input: dict[str, Any], field: str
) -> None:
    result = await execute(CREATE_SILENCE, {"input": input})
    assert error_codes(result) == [("BAD_USER_INPUT", field)], result.errors


async def test_an_expired_silence_keeps_its_window_and_no_longer_silences(
    gql: Any, session_factory: SessionFactory
) -> None:
    silence = (
        await gql(
            CREATE_SILENCE, {"input": {"matchers": {"namespaces": ["web"]}, "window": NIGHTLY}}
        )
    )["createSilence"]
    expired = (await gql(EXPIRE_SILENCE, {"id": silence["id"]}))["expireSilence"]
    assert expired["expiredAt"] is not None and expired["active"] is False
    assert expired["window"] == silence["window"]
    again = (await gql(EXPIRE_SILENCE, {"id": silence["id"]}))["expireSilence"]
    assert again["expiredAt"] == expired["expiredAt"]
    assert (await gql(SILENCES, {"all": False}))["silences"] == []
    assert [s["id"] for s in (await gql(SILENCES, {"all": True}))["silences"]] == [silence["id"]]
    async with session_factory() as session:
        assert (await load_catalog(session)).silences == ()


async def test_a_silence_is_deleted(gql: Any, execute: Any) -> None:
    silence = (
        await gql(
            CREATE_SILENCE, {"input": {"matchers": {"namespaces": ["web"]}, "window": NIGHTLY}}
        )
    )["createSilence"]
    assert (await gql(DELETE_SILENCE, {"id": silence["id"]}))["deleteSilence"] == silence["id"]
    result = await execute(EXPIRE_SILENCE, {"id": silence["id"]})
    assert error_codes(result) == [("NOT_FOUND", "id")]


async def test_viewers_may_not_create_silences(execute_as: ExecuteAs) -> None:
    viewer = await execute_as(Role.VIEWER)
    result = await viewer(
        CREATE_SILENCE, {"input": {"matchers": {"namespaces": ["web"]}, "window": NIGHTLY}}
    )
    assert error_codes(result) == [("FORBIDDEN", None)]


async def test_a_silence_with_a_window_is_audited_with_its_instants(gql: Any) -> None:
    ends_at = (utcnow() + timedelta(hours=1)).isoformat()
    await gql(
        CREATE_SILENCE,
        {"input": {"matchers": {"namespaces": ["web"]}, "window": {"oneOff": {"endsAt": ends_at}}}},
    )
    records = await gql("{ auditLog(first: 1) { nodes { operation outcome arguments } } }")
    (record,) = records["auditLog"]["nodes"]
    assert (record["operation"], record["outcome"]) == ("createSilence", "OK")
    assert record["arguments"]["input"]["window"]["oneOff"]["endsAt"].startswith(ends_at[:19])
