import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.alerting.inputs import RunDecided
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rendering import MessageTemplates
from app.domain.alerting.rules import (
    ConsecutiveFailures,
    DurationAbove,
    ExecutionErrors,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
    Rule,
    Severity,
)
from app.domain.alerting.silences import OneOffWindow, RecurringWindow
from app.domain.alerting.silences import Silence as DomainSilence
from app.domain.run_lifecycle import FailureReason, RunStatus
from app.errors import InvalidInput
from app.models import AlertRule, Silence
from app.models.alerting_codec import (
    condition_from_json,
    condition_to_json,
    rule_of,
    rule_values,
    run_decided_json,
    run_decided_of,
    silence_of,
    silence_values,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "condition",
    [
        ConsecutiveFailures(4, 1),
        FailuresInWindow(3, 5, 2),
        FailingClusters(2, 1, 3),
        NoSuccessFor(timedelta(minutes=10)),
        DurationAbove(timedelta(seconds=2.5), 2, 2),
    ],
)
def test_every_condition_survives_the_trip_through_json(condition: object) -> None:
    assert condition_from_json(condition_to_json(condition)) == condition  # type: ignore[arg-type]


def test_an_unknown_condition_kind_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        condition_from_json({"kind": "sometimes"})
    assert refused.value.field == "condition.kind"


def test_a_rule_survives_the_trip_through_its_row() -> None:
    rule = Rule(
        id=uuid.uuid4(),
        name="payments down",
        condition=FailuresInWindow(3, 5),
        selector=SubjectMatcher(
            check_ids=frozenset({uuid.uuid4()}),
            namespaces=frozenset({"payments"}),
            labels={"team": "pay"},
            cluster_ids=frozenset({uuid.uuid4()}),
            cluster_labels={"env": "prod"},
        ),
        severity=Severity.CRITICAL,
        channel_ids=(uuid.uuid4(), uuid.uuid4()),
        send_on_resolved=False,
        reminder_interval=timedelta(hours=1),
        execution_errors=ExecutionErrors.ONLY,
        templates=MessageTemplates("{{ check.name }}", None),
    )
    assert rule_of(AlertRule(**rule_values(rule))) == rule


@pytest.mark.parametrize(
    "window",
    [
        OneOffWindow(NOW, NOW + timedelta(hours=1)),
        RecurringWindow("0 2 * * *", timedelta(hours=2), "Europe/Paris"),
    ],
)
def test_a_silence_survives_the_trip_through_its_row(window: object) -> None:
    silence = DomainSilence(
        id=uuid.uuid4(),
        matcher=SubjectMatcher(namespaces=frozenset({"web"})),
        window=window,  # type: ignore[arg-type]
        author="ana",
        comment="maintenance",
    )
    assert silence_of(Silence(**silence_values(silence))) == silence


def test_a_decided_run_survives_the_trip_through_json() -> None:
    run = RunDecided(
        run_id=uuid.uuid4(),
        check_id=uuid.uuid4(),
        cluster_id=uuid.uuid4(),
        status=RunStatus.FAILED,
        failure_reason=FailureReason.CHECK_FAILED,
        errors=("boom",),
        scheduled_at=NOW,
        started_at=NOW + timedelta(seconds=1),
        finished_at=NOW + timedelta(seconds=3),
        duration_seconds=2.0,
        decided_at=NOW + timedelta(seconds=3),
    )
    assert run_decided_of(run_decided_json(run)) == run
