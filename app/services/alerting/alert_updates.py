"""Live alert updates: each alert transition the engine or a person recorded, read from the event
log (ALERT_CHANGED, written in the transaction that recorded the transition)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.domain.alerting.rules import Severity
from app.domain.alerting.state import AlertStatus, TransitionKind
from app.models import EventKind
from app.services.event_fanout import EventSelector, LoggedEvent


@dataclass(frozen=True, slots=True)
class AlertChange:
    at: datetime
    alert_id: uuid.UUID
    transition_id: uuid.UUID
    rule_id: uuid.UUID
    check_id: uuid.UUID
    cluster_id: uuid.UUID | None
    kind: TransitionKind
    status: AlertStatus
    severity: Severity
    silenced_by: uuid.UUID | None
    notified: bool

    @classmethod
    def of(cls, event: LoggedEvent) -> AlertChange:
        payload = event.payload
        silenced = payload.get("silencedBy")
        # Every alert is about a check; only cluster health events have none.
        assert event.check_id is not None
        return cls(
            at=datetime.fromisoformat(payload["at"]),
            alert_id=uuid.UUID(payload["alertId"]),
            transition_id=uuid.UUID(payload["transitionId"]),
            rule_id=uuid.UUID(payload["ruleId"]),
            check_id=event.check_id,
            cluster_id=event.cluster_id,
            kind=TransitionKind(payload["kind"]),
            status=AlertStatus(payload["status"]),
            severity=Severity(payload["severity"]),
            silenced_by=None if silenced is None else uuid.UUID(silenced),
            notified=bool(payload.get("notified")),
        )


@dataclass(frozen=True, kw_only=True)
class AlertChangeFilter:
    rule_id: uuid.UUID | None = None
    check_id: uuid.UUID | None = None
    cluster_id: uuid.UUID | None = None
    statuses: frozenset[AlertStatus] = frozenset()
    severities: frozenset[Severity] = frozenset()


def alert_updates(where: AlertChangeFilter) -> EventSelector:
    def admitted(event: LoggedEvent) -> bool:
        change = event.view(AlertChange.of)
        return (
            (where.rule_id is None or change.rule_id == where.rule_id)
            and (not where.statuses or change.status in where.statuses)
            and (not where.severities or change.severity in where.severities)
        )

    refined = where.rule_id is not None or where.statuses or where.severities
    return EventSelector(
        kinds=frozenset({EventKind.ALERT_CHANGED}),
        check_id=where.check_id,
        cluster_id=where.cluster_id,
        refine=admitted if refined else None,
    )
