"""Channels through the API: Apprise judges each URL at the door, the URLs are stored encrypted
and only their masked form ever comes back, in answers and in errors alike."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from app.db import SessionFactory
from app.domain.access import Role
from app.domain.alerting.channel_urls import secret_fragments
from app.models import AlertRule, Channel
from tests.api.alerting_operations import (
    CHANNELS,
    CREATE_CHANNEL,
    CREATE_RULE,
    DELETE_CHANNEL,
    UPDATE_CHANNEL,
    rule_input,
)
from tests.api.builders import error_codes
from tests.api.conftest import ExecuteAs

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#payments"
EMAIL = "mailto://alerts:app-S3cret-pass@smtp.example.com?to=oncall@example.com"


def assert_no_secret(answer: object, *urls: str) -> None:
    text = repr(answer)
    for url in urls:
        for fragment in secret_fragments(url):
            assert fragment not in text, fragment


async def test_a_channel_is_created_listed_and_shown_with_masked_urls_only(gql: Any) -> None:
    created = (
        await gql(
            CREATE_CHANNEL,
            {
                "input": {
                    "name": "payments on-call",
                    "urls": [SLACK, EMAIL],
                    "tags": ["oncall"],
                    "description": "pager",
                }
            },
        )
    )["createChannel"]
    assert created["name"] == "payments on-call"
    assert created["maskedUrls"] == [
        "slack://T1…/A1…/TI…/***",
        "mailto://…:***@smtp.example.com?to=***",
    ]
    assert created["tags"] == ["oncall"] and created["description"] == "pager"
    listed = (await gql(CHANNELS))["channels"]
    assert listed == [created]
    assert_no_secret([created, listed], SLACK, EMAIL)


async def test_the_urls_are_stored_encrypted(gql: Any, session_factory: SessionFactory) -> None:
    await gql(CREATE_CHANNEL, {"input": {"name": "slack", "urls": [SLACK]}})
    async with session_factory() as session:
        (channel,) = (await session.exec(select(Channel))).all()
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in channel.urls_encrypted


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        (["slack://T1JJ3T3L2/S3CRETBITS99"], "An invalid Slack (third) Token"),
        (["garbage-S3CRETBITS99"], "Unsupported URL"),
        ([], "at least one Apprise URL"),
    ],
)
async def test_a_url_apprise_refuses_is_bad_input_with_its_reason_and_no_secret(
    execute: Any, urls: list[str], message: str
) -> None:
    result = await execute(CREATE_CHANNEL, {"input": {"name": "bad", "urls": urls}})
    assert error_codes(result) == [("BAD_USER_INPUT", "urls")]
    assert message in result.errors[0].message
    assert "S3CRETBITS99" not in str(result.errors[0].formatted)
    assert result.data is None


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"name": " "}, "name"),
        ({"tags": ["two words"]}, "tags"),
        ({"description": "x" * 2001}, "description"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
    ],
)
async def test_names_and_tags_are_validated(
    execute: Any, input: dict[str, Any], field: str
) -> None:
    result = await execute(CREATE_CHANNEL, {"input": {"name": "ok", "urls": [SLACK], **input}})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]


async def test_a_second_channel_with_the_same_name_is_a_conflict(gql: Any, execute: Any) -> None:
    await gql(CREATE_CHANNEL, {"input": {"name": "slack", "urls": [SLACK]}})
    result = await execute(CREATE_CHANNEL, {"input": {"name": "slack", "urls": [EMAIL]}})
    assert error_codes(result) == [("CONFLICT", "name")]


async def test_updating_replaces_urls_keeps_the_rest_and_refuses_a_bad_url(
    gql: Any, execute: Any
) -> None:
    created = (
        await gql(CREATE_CHANNEL, {"input": {"name": "slack", "urls": [SLACK], "tags": ["a"]}})
    )["createChannel"]
    updated = (await gql(UPDATE_CHANNEL, {"input": {"id": created["id"], "urls": [EMAIL]}}))[
        "updateChannel"
    ]
    assert updated["maskedUrls"] == ["mailto://…:***@smtp.example.com?to=***"]
    assert (updated["name"], updated["tags"]) == ("slack", ["a"])
    refused = await execute(
        UPDATE_CHANNEL, {"input": {"id": created["id"], "urls": ["nope://S3CRETBITS99"]}}
    )
    assert error_codes(refused) == [("BAD_USER_INPUT", "urls")]
    assert "S3CRETBITS99" not in refused.errors[0].message
    nulled = await execute(UPDATE_CHANNEL, {"input": {"id": created["id"], "urls": None}})
    assert error_codes(nulled) == [("BAD_USER_INPUT", "urls")]
    assert (await gql(CHANNELS))["channels"] == [updated]


async def test_updating_the_name_tags_or_description_keeps_the_urls(gql: Any) -> None:
    created = (await gql(CREATE_CHANNEL, {"input": {"name": "slack", "urls": [SLACK]}}))[
        "createChannel"
    ]
    changes = {"name": "payments", "tags": ["b"], "description": "the payments team"}
    updated = (await gql(UPDATE_CHANNEL, {"input": {"id": created["id"], **changes}}))[
        "updateChannel"
    ]
    assert {key: updated[key] for key in changes} == changes
    assert updated["maskedUrls"] == created["maskedUrls"]
    assert (await gql(CHANNELS))["channels"] == [updated]


async def test_deleting_a_channel_removes_it_from_the_rules_that_named_it(
    gql: Any, execute: Any, session_factory: SessionFactory
) -> None:
    channel = (await gql(CREATE_CHANNEL, {"input": {"name": "slack", "urls": [SLACK]}}))[
        "createChannel"
    ]
    await gql(CREATE_RULE, {"input": rule_input(channelIds=[channel["id"]])})
    assert (await gql(DELETE_CHANNEL, {"id": channel["id"]}))["deleteChannel"] == channel["id"]
    assert (await gql(CHANNELS))["channels"] == []
    async with session_factory() as session:
        (rule,) = (await session.exec(select(AlertRule))).all()
    assert rule.channel_ids == []
    again = await execute(DELETE_CHANNEL, {"id": channel["id"]})
    assert error_codes(again) == [("NOT_FOUND", "id")]


async def test_editors_and_viewers_may_read_channels_but_not_change_them(
    execute_as: ExecuteAs,
) -> None:
    for role in (Role.EDITOR, Role.VIEWER):
        execute = await execute_as(role)
        refused = await execute(CREATE_CHANNEL, {"input": {"name": "x", "urls": [SLACK]}})
        assert error_codes(refused) == [("FORBIDDEN", None)]
        assert (await execute(CHANNELS)).errors is None
