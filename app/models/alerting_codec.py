"""Rows of app/models/alerting.py to domain types and back. The domain types are the truth: a rule
or silence is validated by building its domain value, then stored with `*_values`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from app.domain.alerting.inputs import RunDecided
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.rendering import MessageTemplates
from app.domain.alerting.rules import (
    Condition,
    ConsecutiveFailures,
    DurationAbove,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
    Rule,
)
from app.domain.alerting.silences import OneOffWindow, RecurringWindow
from app.domain.alerting.silences import Silence as DomainSilence
from app.domain.alerting.state import (
    Alert as DomainAlert,
)
from app.domain.alerting.state import (
    AlertKey,
    AlertState,
    ClusterTrack,
    Observation,
)
from app.domain.run_lifecycle import FailureReason, RunStatus
from app.errors import InvalidInput
from app.models.alerting import Alert, AlertRule, AlertSubjectState, Silence, SilenceWindowKind

_SUBJECT_STATE_IDS = uuid.UUID("8f3b2d47-6a1c-4e59-b0d2-1c9e7a4f5b63")


class ConditionKind:
    CONSECUTIVE_FAILURES = "consecutive_failures"
    FAILURES_IN_WINDOW = "failures_in_window"
    FAILING_CLUSTERS = "failing_clusters"
    NO_SUCCESS_FOR = "no_success_for"
    DURATION_ABOVE = "duration_above"


def condition_to_json(condition: Condition) -> dict[str, Any]:
    match condition:
        case ConsecutiveFailures(failure_threshold=f, success_threshold=s):
            return {
                "kind": ConditionKind.CONSECUTIVE_FAILURES,
                "failureThreshold": f,
                "successThreshold": s,
            }
        case FailuresInWindow(failures=failures, runs=runs, success_threshold=s):
            return {
                "kind": ConditionKind.FAILURES_IN_WINDOW,
                "failures": failures,
                "runs": runs,
                "successThreshold": s,
            }
        case FailingClusters(min_clusters=clusters, failure_threshold=f, success_threshold=s):
            return {
                "kind": ConditionKind.FAILING_CLUSTERS,
                "minClusters": clusters,
                "failureThreshold": f,
                "successThreshold": s,
            }
        case NoSuccessFor(duration=duration):
            return {"kind": ConditionKind.NO_SUCCESS_FOR, "durationSeconds": _seconds(duration)}
        case DurationAbove(threshold=threshold, failure_threshold=f, success_threshold=s):
            return {
                "kind": ConditionKind.DURATION_ABOVE,
                "thresholdSeconds": _seconds(threshold),
                "failureThreshold": f,
                "successThreshold": s,
            }


def condition_from_json(document: Mapping[str, Any]) -> Condition:
    kind = document.get("kind")
    try:
        if kind == ConditionKind.CONSECUTIVE_FAILURES:
            return ConsecutiveFailures(
                int(document.get("failureThreshold", 3)), int(document.get("successThreshold", 2))
            )
        if kind == ConditionKind.FAILURES_IN_WINDOW:
            return FailuresInWindow(
                int(document["failures"]),
                int(document["runs"]),
                int(document.get("successThreshold", 2)),
            )
        if kind == ConditionKind.FAILING_CLUSTERS:
            return FailingClusters(
                int(document["minClusters"]),
                int(document.get("failureThreshold", 1)),
                int(document.get("successThreshold", 1)),
            )
        if kind == ConditionKind.NO_SUCCESS_FOR:
            return NoSuccessFor(timedelta(seconds=float(document["durationSeconds"])))
        if kind == ConditionKind.DURATION_ABOVE:
            return DurationAbove(
                timedelta(seconds=float(document["thresholdSeconds"])),
                int(document.get("failureThreshold", 1)),
                int(document.get("successThreshold", 1)),
            )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"malformed condition: {error}", field="condition") from None
    raise InvalidInput(f"unknown condition kind {kind!r}", field="condition.kind")


def matcher_values(matcher: SubjectMatcher) -> dict[str, Any]:
    return {
        "check_ids": sorted(str(id_) for id_ in matcher.check_ids),
        "namespaces": sorted(matcher.namespaces),
        "labels": dict(matcher.labels),
        "cluster_ids": sorted(str(id_) for id_ in matcher.cluster_ids),
        "cluster_labels": dict(matcher.cluster_labels),
    }


def matcher_of(row: AlertRule | Silence) -> SubjectMatcher:
    return SubjectMatcher(
        check_ids=frozenset(uuid.UUID(id_) for id_ in row.check_ids),
        namespaces=frozenset(row.namespaces),
        labels=dict(row.labels),
        cluster_ids=frozenset(uuid.UUID(id_) for id_ in row.cluster_ids),
        cluster_labels=dict(row.cluster_labels),
    )


def rule_values(rule: Rule) -> dict[str, Any]:
    """The columns of `alert_rule` for a domain rule (not `enabled` nor the bookkeeping)."""
    return {
        "id": rule.id,
        "name": rule.name,
        **matcher_values(rule.selector),
        "condition": condition_to_json(rule.condition),
        "severity": rule.severity,
        "channel_ids": [str(id_) for id_ in rule.channel_ids],
        "send_on_resolved": rule.send_on_resolved,
        "reminder_interval_seconds": None
        if rule.reminder_interval is None
        else _seconds(rule.reminder_interval),
        "execution_errors": rule.execution_errors,
        "title_template": rule.templates.title,
        "body_template": rule.templates.body,
    }


def rule_of(row: AlertRule) -> Rule:
    return Rule(
        id=row.id,
        name=row.name,
        condition=condition_from_json(row.condition),
        selector=matcher_of(row),
        severity=row.severity,
        channel_ids=tuple(uuid.UUID(id_) for id_ in row.channel_ids),
        send_on_resolved=row.send_on_resolved,
        reminder_interval=None
        if row.reminder_interval_seconds is None
        else timedelta(seconds=row.reminder_interval_seconds),
        execution_errors=row.execution_errors,
        templates=MessageTemplates(row.title_template, row.body_template),
    )


def silence_values(silence: DomainSilence) -> dict[str, Any]:
    window: dict[str, Any]
    match silence.window:
        case OneOffWindow(starts_at=starts, ends_at=ends):
            window = {
                "window_kind": SilenceWindowKind.ONE_OFF,
                "starts_at": starts,
                "ends_at": ends,
                "cron": None,
                "duration_seconds": None,
                "timezone": "UTC",
            }
        case RecurringWindow(cron=cron, duration=duration, timezone=zone):
            window = {
                "window_kind": SilenceWindowKind.RECURRING,
                "starts_at": None,
                "ends_at": None,
                "cron": cron,
                "duration_seconds": _seconds(duration),
                "timezone": zone,
            }
    return {
        "id": silence.id,
        **matcher_values(silence.matcher),
        **window,
        "author": silence.author,
        "comment": silence.comment,
    }


def silence_of(row: Silence) -> DomainSilence:
    window: OneOffWindow | RecurringWindow
    if row.window_kind is SilenceWindowKind.ONE_OFF:
        assert row.starts_at is not None and row.ends_at is not None
        window = OneOffWindow(row.starts_at, row.ends_at)
    else:
        assert row.cron is not None and row.duration_seconds is not None
        window = RecurringWindow(row.cron, timedelta(seconds=row.duration_seconds), row.timezone)
    return DomainSilence(
        id=row.id, matcher=matcher_of(row), window=window, author=row.author, comment=row.comment
    )


def subject_state_id(key: AlertKey) -> uuid.UUID:
    """Derived from the key, so that two engines watching one key write one row."""
    return uuid.uuid5(_SUBJECT_STATE_IDS, f"{key.rule_id}/{key.check_id}/{key.cluster_id}")


def alert_of(row: Alert) -> DomainAlert:
    return DomainAlert(
        id=row.id,
        status=row.status,
        fired_at=row.fired_at,
        notified=row.notified,
        last_notified_at=row.last_notified_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        transitions=row.transition_count,
    )


def state_of(row: AlertSubjectState, open_alert: Alert | None) -> AlertState:
    document = row.observations
    return AlertState(
        key=AlertKey(row.rule_id, row.check_id, row.cluster_id),
        watching_since=row.watching_since,
        window=tuple(_observation_of(item) for item in document.get("window", [])),
        clusters=tuple(
            ClusterTrack(
                uuid.UUID(track["cluster"]),
                tuple(_observation_of(item) for item in track["window"]),
                bool(track["failing"]),
            )
            for track in document.get("clusters", [])
        ),
        last_success_at=row.last_success_at,
        alert=None if open_alert is None else alert_of(open_alert),
        alerts_opened=row.alerts_opened,
    )


def observations_json(state: AlertState) -> dict[str, Any]:
    return {
        "window": [_observation_json(item) for item in state.window],
        "clusters": [
            {
                "cluster": str(track.cluster_id),
                "window": [_observation_json(item) for item in track.window],
                "failing": track.failing,
            }
            for track in state.clusters
        ],
    }


def run_decided_json(run: RunDecided) -> dict[str, Any]:
    return {
        "runId": str(run.run_id),
        "checkId": str(run.check_id),
        "clusterId": str(run.cluster_id),
        "status": run.status.value,
        "failureReason": run.failure_reason.value if run.failure_reason else None,
        "errors": list(run.errors),
        "scheduledAt": run.scheduled_at.isoformat(),
        "startedAt": _iso(run.started_at),
        "finishedAt": _iso(run.finished_at),
        "durationSeconds": run.duration_seconds,
        "decidedAt": run.decided_at.isoformat(),
    }


def run_decided_of(document: Mapping[str, Any]) -> RunDecided:
    reason = document.get("failureReason")
    return RunDecided(
        run_id=uuid.UUID(document["runId"]),
        check_id=uuid.UUID(document["checkId"]),
        cluster_id=uuid.UUID(document["clusterId"]),
        status=RunStatus(document["status"]),
        failure_reason=FailureReason(reason) if reason else None,
        errors=tuple(document.get("errors", ())),
        scheduled_at=datetime.fromisoformat(document["scheduledAt"]),
        started_at=_time(document.get("startedAt")),
        finished_at=_time(document.get("finishedAt")),
        duration_seconds=document.get("durationSeconds"),
        decided_at=datetime.fromisoformat(document["decidedAt"]),
    )


def uuids(values: Iterable[str]) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(value) for value in values)


def _observation_json(observation: Observation) -> dict[str, Any]:
    return {
        "run": str(observation.run_id),
        "cluster": str(observation.cluster_id),
        "at": observation.ordered_at.isoformat(),
        "bad": observation.bad,
    }


def _observation_of(document: Mapping[str, Any]) -> Observation:
    return Observation(
        uuid.UUID(document["run"]),
        uuid.UUID(document["cluster"]),
        datetime.fromisoformat(document["at"]),
        bool(document["bad"]),
    )


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
