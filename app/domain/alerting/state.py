"""What the engine stores per alert identity, and what one evaluation step returns."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from app.domain.alerting.inputs import RunDecided


@dataclass(frozen=True, slots=True, order=True)
class AlertKey:
    """One open alert at most per key: per check and cluster, or per check (`cluster_id` None)
    for rules over several clusters."""

    rule_id: uuid.UUID
    check_id: uuid.UUID
    cluster_id: uuid.UUID | None


class AlertStatus(enum.StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class TransitionKind(enum.StrEnum):
    FIRING = "firing"
    REMINDER = "reminder"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    COMMENTED = "commented"  # a note on the alert, not a change of state; never notified


class CauseKind(enum.StrEnum):
    RUN = "run"
    TICK = "tick"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class Cause:
    kind: CauseKind
    run: RunDecided | None = None
    actor: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """A counted run, reduced to what conditions need: where it sits and whether it was bad."""

    run_id: uuid.UUID
    cluster_id: uuid.UUID
    ordered_at: datetime
    bad: bool


@dataclass(frozen=True, slots=True)
class ClusterTrack:
    cluster_id: uuid.UUID
    window: tuple[Observation, ...]
    failing: bool


@dataclass(frozen=True, slots=True)
class Alert:
    id: uuid.UUID
    status: AlertStatus
    fired_at: datetime
    # Receivers have heard of this alert (its firing, or a reminder once a silence ended): only
    # then may they hear that it resolved.
    notified: bool
    last_notified_at: datetime | None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    transitions: int = 0


@dataclass(frozen=True, slots=True)
class AlertState:
    key: AlertKey
    watching_since: datetime
    window: tuple[Observation, ...] = ()
    clusters: tuple[ClusterTrack, ...] = ()
    last_success_at: datetime | None = None
    alert: Alert | None = None
    alerts_opened: int = 0


@dataclass(frozen=True, slots=True)
class Transition:
    id: uuid.UUID
    alert_id: uuid.UUID
    key: AlertKey
    kind: TransitionKind
    at: datetime
    cause: Cause
    alert_fired_at: datetime
    silenced_by: uuid.UUID | None = None
    failing_clusters: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class NotificationIntent:
    """Send `transition` to `channel_id`; the pair is the delivery's idempotency key."""

    transition_id: uuid.UUID
    channel_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: AlertState
    transitions: tuple[Transition, ...] = ()
    notifications: tuple[NotificationIntent, ...] = ()
