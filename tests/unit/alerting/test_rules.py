from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.domain.alerting.rendering import MessageTemplates
from app.domain.alerting.rules import (
    Condition,
    ConsecutiveFailures,
    DurationAbove,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
    Rule,
    Severity,
)
from app.errors import InvalidInput
from tests.unit.alerting.story import CHAT, make_rule


def test_a_rule_defaults_to_three_failures_to_fire_and_two_successes_to_resolve() -> None:
    rule = Rule(id=uuid.uuid4(), name="checkout", condition=ConsecutiveFailures())
    assert (rule.condition.failure_threshold, rule.condition.success_threshold) == (3, 2)  # type: ignore[union-attr]
    assert rule.severity is Severity.WARNING and rule.send_on_resolved
    assert rule.reminder_interval is None and not rule.per_check


def test_only_the_clusters_condition_makes_one_alert_per_check() -> None:
    assert make_rule(FailingClusters(min_clusters=2)).per_check
    assert not make_rule(NoSuccessFor(timedelta(minutes=10))).per_check


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (ConsecutiveFailures(failure_threshold=0), "condition.failureThreshold"),
        (ConsecutiveFailures(success_threshold=101), "condition.successThreshold"),
        (FailuresInWindow(failures=6, runs=5), "condition.failures"),
        (FailuresInWindow(failures=1, runs=0), "condition.runs"),
        (FailingClusters(min_clusters=0), "condition.minClusters"),
        (NoSuccessFor(timedelta(0)), "condition.duration"),
        (DurationAbove(timedelta(seconds=-1)), "condition.threshold"),
        (DurationAbove(timedelta(seconds=5), failure_threshold=0), "condition.failureThreshold"),
    ],
)
def test_invalid_conditions_are_refused_naming_the_field(condition: Condition, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        make_rule(condition)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "needs a name"),
        ({"name": "x" * 201}, "name", "longer than 200"),
        ({"channel_ids": (CHAT, CHAT)}, "channelIds", "listed twice"),
        ({"reminder_interval": timedelta(seconds=30)}, "reminderInterval", "at least 1m"),
        (
            {"templates": MessageTemplates(title="{{ check.name ")},
            "templates.title",
            "template error on line 1",
        ),
        (
            {"templates": MessageTemplates(body="{% for x in errors %}")},
            "templates.body",
            "template error",
        ),
        ({"templates": MessageTemplates(body="x" * 8001)}, "templates.body", "longer than 8000"),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(
    overrides: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        make_rule(ConsecutiveFailures(), **overrides)
    assert raised.value.field == field
