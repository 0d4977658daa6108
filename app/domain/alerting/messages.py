"""What a message template sees: the variables for one alert transition, in plain values."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from app.domain.alerting.inputs import AlertSubject, ClusterIdentity
from app.domain.alerting.rendering import MessageTemplates, RenderedMessage, render_message
from app.domain.alerting.rules import (
    ConsecutiveFailures,
    DurationAbove,
    FailingClusters,
    FailuresInWindow,
    NoSuccessFor,
    Rule,
)
from app.domain.alerting.state import Transition, TransitionKind
from app.domain.duration import format_duration

_LABELS = {
    TransitionKind.FIRING: "FIRING",
    TransitionKind.REMINDER: "STILL FIRING",
    TransitionKind.ACKNOWLEDGED: "ACKNOWLEDGED",
    TransitionKind.RESOLVED: "RESOLVED",
    TransitionKind.COMMENTED: "COMMENT",
}


def run_url(base_url: str, run_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/runs/{run_id}"


def message_context(
    rule: Rule,
    transition: Transition,
    subject: AlertSubject,
    *,
    base_url: str,
    clusters: Mapping[uuid.UUID, ClusterIdentity] | None = None,
) -> dict[str, Any]:
    """The template variables. `clusters` names the clusters a per-check alert lists as failing."""
    run = transition.cause.run
    check, cluster = subject.check, None if rule.per_check else subject.cluster
    names = clusters or {}
    return {
        "alert_id": str(transition.alert_id),
        "transition": transition.kind.value,
        "transition_label": _LABELS[transition.kind],
        "severity": rule.severity.value,
        "rule": rule.name,
        "summary": _summary(rule, transition, subject),
        "check": {
            "id": str(check.id),
            "namespace": check.namespace,
            "name": check.name,
            "labels": dict(check.labels),
        },
        "cluster": None
        if cluster is None
        else {"id": str(cluster.id), "name": cluster.name, "labels": dict(cluster.labels)},
        "failing_clusters": [
            names[id_].name if id_ in names else str(id_) for id_ in transition.failing_clusters
        ],
        "run_id": str(run.run_id) if run else None,
        "status": run.status.value if run else None,
        "failure_reason": run.failure_reason.value if run and run.failure_reason else None,
        "errors": list(run.errors) if run else [],
        "duration_seconds": run.duration_seconds if run else None,
        "duration": _duration(run.duration_seconds if run else None),
        "run_url": run_url(base_url, run.run_id) if run else None,
        "at": _time(transition.at),
        "since": _time(transition.alert_fired_at),
        "actor": transition.cause.actor,
        "comment": transition.cause.text,
        "silenced_by": str(transition.silenced_by) if transition.silenced_by else None,
    }


def render_transition(
    rule: Rule,
    transition: Transition,
    subject: AlertSubject,
    *,
    base_url: str,
    clusters: Mapping[uuid.UUID, ClusterIdentity] | None = None,
) -> RenderedMessage:
    context = message_context(rule, transition, subject, base_url=base_url, clusters=clusters)
    templates: MessageTemplates = rule.templates
    return render_message(templates, context)


def _summary(rule: Rule, transition: Transition, subject: AlertSubject) -> str:
    check = f"{subject.check.namespace}/{subject.check.name}"
    where = "" if rule.per_check or subject.cluster is None else f" on {subject.cluster.name}"
    actor = transition.cause.actor or "someone"
    match transition.kind:
        case TransitionKind.RESOLVED:
            return f"{check}{where} recovered."
        case TransitionKind.ACKNOWLEDGED:
            return f"{actor} acknowledged the alert for {check}{where}."
        case TransitionKind.COMMENTED:
            return f"{actor} commented on the alert for {check}{where}."
        case TransitionKind.REMINDER:
            return f"{check}{where} is still failing: {_condition(rule)}."
        case TransitionKind.FIRING:
            return f"{check}{where}: {_condition(rule)}."


def _condition(rule: Rule) -> str:
    match rule.condition:
        case ConsecutiveFailures(failure_threshold=threshold):
            return f"{_runs(threshold)} failed in a row"
        case FailuresInWindow(failures=failures, runs=runs):
            return f"{failures} of the last {_runs(runs)} failed"
        case FailingClusters(min_clusters=clusters):
            return f"failing in at least {clusters} cluster{'s' if clusters > 1 else ''}"
        case NoSuccessFor(duration=duration):
            return f"no successful run for {format_duration(duration)}"
        case DurationAbove(threshold=threshold, failure_threshold=count):
            return f"{_runs(count)} took longer than {format_duration(threshold)}"


def _runs(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


def _duration(seconds: float | None) -> str | None:
    return None if seconds is None else format_duration(timedelta(seconds=round(seconds, 3)))


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")
