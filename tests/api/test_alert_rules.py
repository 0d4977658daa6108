"""Rules through the API: every condition, the selector and templates are validated by the domain
before anything is stored, and what comes back is what the engine will read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.domain.access import Role
from tests.api.alerting_operations import (
    CREATE_CHANNEL,
    CREATE_RULE,
    DELETE_RULE,
    RULES,
    UPDATE_RULE,
    rule_input,
)
from tests.api.builders import error_codes
from tests.api.conftest import ExecuteAs

HOOK = "json://hooks.example.com/patrol/k9Xq2S3CRET"


async def channel_id(gql: Any, name: str = "hook") -> str:
    created = await gql(CREATE_CHANNEL, {"input": {"name": name, "urls": [HOOK]}})
    return str(created["createChannel"]["id"])


async def test_a_rule_is_created_with_its_defaults_and_listed(gql: Any) -> None:
    hook = await channel_id(gql)
    check_id = str(uuid.uuid4())
    created = (
        await gql(
            CREATE_RULE,
            {
                "input": rule_input(
                    channelIds=[hook],
                    selector={
                        "checkIds": [check_id],
                        "namespaces": ["payments"],
                        "labels": {"tier": "gold"},
                        "clusterLabels": {"env": "prod"},
                    },
                    reminderInterval="30m",
                    templates={"title": "{{ check.name }} is {{ transition }}"},
                )
            },
        )
    )["createRule"]
    assert created["condition"] == {
        "__typename": "ConsecutiveFailures",
        "failureThreshold": 3,
        "successThreshold": 2,
    }
    assert created["selector"] == {
        "checkIds": [check_id],
        "namespaces": ["payments"],
        "labels": {"tier": "gold"},
        "clusterIds": [],
        "clusterLabels": {"env": "prod"},
    }
    assert created["channelIds"] == [hook]
    assert created["reminderInterval"] == "30m0s"
    assert created["severity"] == "CRITICAL" and created["enabled"] is True
    assert created["sendOnResolved"] is True and created["executionErrors"] == "COUNT"
    assert created["templates"] == {"title": "{{ check.name }} is {{ transition }}", "body": None}
    assert created["templateError"] is None
    assert (await gql(RULES))["rules"] == [created]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {"failuresInWindow": {"failures": 3, "runs": 5}},
            {"__typename": "FailuresInWindow", "failures": 3, "runs": 5, "successThreshold": 2},
        ),
        (
            {"failingClusters": {"minClusters": 2}},
            {
                "__typename": "FailingClusters",
                "minClusters": 2,
                "failureThreshold": 1,
                "successThreshold": 1,
            },
        ),
        (
            {"noSuccessFor": {"duration": "10m"}},
            {"__typename": "NoSuccessFor", "duration": "10m0s"},
        ),
        (
            {"durationAbove": {"threshold": "1.5s", "failureThreshold": 2}},
            {
                "__typename": "DurationAbove",
                "threshold": "1.5s",
                "failureThreshold": 2,
                "successThreshold": 1,
            },
        ),
    ],
)
async def test_each_condition_round_trips(
    gql: Any, condition: dict[str, Any], expected: dict[str, Any]
) -> None:
    created = (await gql(CREATE_RULE, {"input": rule_input(condition=condition)}))["createRule"]
    assert created["condition"] == expected


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        (
            {"condition": {"consecutiveFailures": {"failureThreshold": 0}}},
            "condition.failureThreshold",
        ),
        ({"condition": {"failuresInWindow": {"failures": 6, "runs": 5}}}, "condition.failures"),
        ({"condition": {"noSuccessFor": {"duration": "-1m"}}}, "condition.duration"),
        ({"condition": {"noSuccessFor": {"duration": "soon"}}}, "condition.duration"),
        ({"reminderInterval": "10s"}, "reminderInterval"),
        ({"templates": {"title": "{{ check.name "}}, "templates.title"),
        ({"templates": {"body": "{% for x in %}"}}, "templates.body"),
        ({"selector": {"namespaces": ["Not A Namespace"]}}, "selector.namespaces"),
        ({"selector": {"checkIds": ["nope"]}}, "selector.checkIds"),
        ({"selector": {"checkIds": [str(uuid.uuid4()) for _ in range(101)]}}, "selector.checkIds"),
        ({"selector": {"labels": {"bad key!": "x"}}}, "selector.labels"),
        ({"channelIds": [str(uuid.uuid4()) for _ in range(21)]}, "channelIds"),
    ],
)
async def test_invalid_rules_are_bad_input_naming_the_field(
    execute: Any, overrides: dict[str, Any], field: str
) -> None:
    result = await execute(CREATE_RULE, {"input": rule_input(**overrides)})
    assert error_codes(result) == [("BAD_USER_INPUT", field)], result.errors


async def test_a_condition_must_be_exactly_one(execute: Any) -> None:
    """graphql-core's oneOf rule refuses it before anything resolves."""
    both = {"consecutiveFailures": {}, "noSuccessFor": {"duration": "1m"}}
    for condition in ({}, both):
        result = await execute(CREATE_RULE, {"input": rule_input(condition=condition)})
        assert error_codes(result) == [("GRAPHQL_VALIDATION_FAILED", None)]
        assert "must specify exactly one key" in result.errors[0].message


async def test_an_unknown_channel_is_not_found(execute: Any) -> None:
    missing = str(uuid.uuid4())
    result = await execute(CREATE_RULE, {"input": rule_input(channelIds=[missing])})
    assert error_codes(result) == [("NOT_FOUND", "channelIds")]
    assert missing in result.errors[0].message


async def test_updating_changes_only_what_is_given_and_is_validated(gql: Any, execute: Any) -> None:
    hook = await channel_id(gql)
    created = (await gql(CREATE_RULE, {"input": rule_input(reminderInterval="1h")}))["createRule"]
    updated = (
        await gql(
            UPDATE_RULE,
            {
                "input": {
                    "id": created["id"],
                    "channelIds": [hook],
                    "condition": {"failingClusters": {"minClusters": 2}},
                    "reminderInterval": None,
                    "enabled": False,
                    "executionErrors": "ONLY",
                }
            },
        )
    )["updateRule"]
    assert updated["channelIds"] == [hook] and updated["reminderInterval"] is None
    assert updated["condition"]["__typename"] == "FailingClusters"
    assert updated["enabled"] is False and updated["executionErrors"] == "ONLY"
    assert (updated["name"], updated["selector"]) == (created["name"], created["selector"])
    bad = await execute(
        UPDATE_RULE, {"input": {"id": created["id"], "templates": {"body": "{{ x"}}}
    )
    assert error_codes(bad) == [("BAD_USER_INPUT", "templates.body")]
    nulled = await execute(UPDATE_RULE, {"input": {"id": created["id"], "severity": None}})
    assert error_codes(nulled) == [("BAD_USER_INPUT", "severity")]
    assert (await gql(RULES))["rules"] == [updated]


async def test_rule_names_are_unique(gql: Any, execute: Any) -> None:
    await gql(CREATE_RULE, {"input": rule_input()})
    result = await execute(CREATE_RULE, {"input": rule_input()})
    assert error_codes(result) == [("CONFLICT", "name")]


async def test_a_rule_is_deleted(gql: Any, execute: Any) -> None:
    created = (await gql(CREATE_RULE, {"input": rule_input()}))["createRule"]
    assert (await gql(DELETE_RULE, {"id": created["id"]}))["deleteRule"] == created["id"]
    assert (await gql(RULES))["rules"] == []
    result = await execute(UPDATE_RULE, {"input": {"id": created["id"], "name": "x"}})
    assert error_codes(result) == [("NOT_FOUND", "id")]


async def test_editors_write_rules_and_viewers_only_read_them(execute_as: ExecuteAs) -> None:
    editor, viewer = await execute_as(Role.EDITOR), await execute_as(Role.VIEWER)
    assert (await editor(CREATE_RULE, {"input": rule_input()})).errors is None
    refused = await viewer(CREATE_RULE, {"input": rule_input(name="other")})
    assert error_codes(refused) == [("FORBIDDEN", None)]
    assert len((await viewer(RULES)).data["rules"]) == 1  # type: ignore[index]


async def test_a_rule_shows_its_channels_in_its_order_with_masked_urls(gql: Any) -> None:
    first, second = await channel_id(gql, "first"), await channel_id(gql, "second")
    await gql(CREATE_RULE, {"input": rule_input(channelIds=[second, first])})
    (rule,) = (await gql("{ rules { channels { name maskedUrls } } }"))["rules"]
    assert rule["channels"] == [
        {"name": "second", "maskedUrls": ["json://hooks.example.com/…/***"]},
        {"name": "first", "maskedUrls": ["json://hooks.example.com/…/***"]},
    ]
