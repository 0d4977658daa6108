"""Alert output types: an alert with its transitions, comments and deliveries (masked URLs and
scrubbed errors only)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.context import Info
from app.api.fields import described_field
from app.api.types import CheckType, ClusterType
from app.domain.alerting.rules import Severity
from app.domain.alerting.state import AlertStatus, CauseKind, TransitionKind
from app.models import (
    Alert,
    AlertComment,
    AlertTransition,
    AttemptResult,
    DeliveryAttempt,
    NotificationStatus,
)
from app.services.alerting import alert_history


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(name="AlertTransition", description="One recorded step of an alert.")
class AlertTransitionType:
    id: strawberry.ID
    sequence: int
    kind: TransitionKind
    from_status: AlertStatus | None
    to_status: AlertStatus
    at: datetime
    cause: CauseKind
    run_id: strawberry.ID | None
    run: JSON | None = strawberry.field(description="What the causing run said, if a run did.")
    actor: str | None
    text: str
    silenced_by: strawberry.ID | None = strawberry.field(
        description="The silence that withheld its notification, if one did."
    )
    failing_clusters: list[strawberry.ID]

    @classmethod
    def from_model(cls, row: AlertTransition) -> AlertTransitionType:
        return cls(
            id=_id(row.id),
            sequence=row.sequence,
            kind=row.kind,
            from_status=row.from_status,
            to_status=row.to_status,
            at=row.at,
            cause=row.cause_kind,
            run_id=None if row.cause_run_id is None else _id(row.cause_run_id),
            run=None if row.cause_run is None else JSON(row.cause_run),
            actor=row.cause_actor,
            text=row.cause_text,
            silenced_by=None if row.silenced_by is None else _id(row.silenced_by),
            failing_clusters=[_id(value) for value in row.failing_clusters],
        )


@strawberry.type(name="AlertComment")
class AlertCommentType:
    id: strawberry.ID
    author: str
    text: str
    at: datetime

    @classmethod
    def from_model(cls, row: AlertComment) -> AlertCommentType:
        return cls(id=_id(row.id), author=row.author, text=row.text, at=row.at)


@strawberry.type(name="DeliveryAttempt", description="What one attempt did for one URL.")
class DeliveryAttemptType:
    attempt: int
    at: datetime
    url_index: int
    masked_url: str
    result: AttemptResult = strawberry.field(
        description="SKIPPED: the URL's tags did not match the send's."
    )
    permanent: bool | None = strawberry.field(
        description="For a failure: true when retrying cannot help."
    )
    error: str | None = strawberry.field(description="Scrubbed of the channel's secrets.")

    @classmethod
    def from_model(cls, row: DeliveryAttempt) -> DeliveryAttemptType:
        return cls(
            attempt=row.attempt,
            at=row.at,
            url_index=row.url_index,
            masked_url=row.masked_url,
            result=row.result,
            permanent=None if row.permanence is None else row.permanence.value == "permanent",
            error=row.error,
        )


@strawberry.type(
    name="Delivery", description="One transition sent to one channel, with every attempt."
)
class DeliveryType:
    id: strawberry.ID
    transition_id: strawberry.ID
    channel_id: strawberry.ID
    channel_name: str | None
    status: NotificationStatus = strawberry.field(
        description="SENDING: a worker holds it until its lease runs out."
    )
    attempts_made: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None = strawberry.field(description="Scrubbed of the channel's secrets.")
    attempts: list[DeliveryAttemptType]

    @classmethod
    def from_view(cls, view: alert_history.NotificationView) -> DeliveryType:
        row = view.notification
        waiting = row.status in (NotificationStatus.PENDING, NotificationStatus.SENDING)
        return cls(
            id=_id(row.id),
            transition_id=_id(row.transition_id),
            channel_id=_id(row.channel_id),
            channel_name=view.channel_name,
            status=row.status,
            attempts_made=row.attempts,
            next_attempt_at=row.next_attempt_at if waiting else None,
            sent_at=row.sent_at,
            failed_at=row.failed_at,
            last_error=row.last_error,
            attempts=[DeliveryAttemptType.from_model(attempt) for attempt in view.attempts],
        )


@strawberry.type(name="Alert", description="firing → (acknowledged) → resolved.")
class AlertType:
    model: strawberry.Private[Alert]
    id: strawberry.ID
    rule_id: strawberry.ID
    check_id: strawberry.ID
    cluster_id: strawberry.ID | None = strawberry.field(
        description="null for a rule over several clusters: one alert per check."
    )
    status: AlertStatus
    severity: Severity
    fired_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    notified: bool = strawberry.field(description="Whether receivers have heard of it.")
    last_notified_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_model(cls, alert: Alert) -> AlertType:
        return cls(
            model=alert,
            id=_id(alert.id),
            rule_id=_id(alert.rule_id),
            check_id=_id(alert.check_id),
            cluster_id=None if alert.cluster_id is None else _id(alert.cluster_id),
            status=alert.status,
            severity=alert.severity,
            fired_at=alert.fired_at,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=alert.acknowledged_by,
            resolved_at=alert.resolved_at,
            notified=alert.notified,
            last_notified_at=alert.last_notified_at,
            updated_at=alert.updated_at,
        )

    @strawberry.field
    async def check(self, info: Info) -> CheckType | None:
        check = await info.context.loaders.check_by_id.load(self.model.check_id)
        return None if check is None else CheckType.from_model(check)

    @strawberry.field
    async def cluster(self, info: Info) -> ClusterType | None:
        if self.model.cluster_id is None:
            return None
        cluster = await info.context.loaders.cluster_by_id.load(self.model.cluster_id)
        return None if cluster is None else ClusterType.from_model(cluster)

    @described_field("Every recorded step, oldest first.")
    async def transitions(self, info: Info) -> list[AlertTransitionType]:
        rows = await info.context.loaders.transitions_by_alert_id.load(self.model.id)
        return [AlertTransitionType.from_model(row) for row in rows]

    @described_field("Comments, oldest first.")
    async def comments(self, info: Info) -> list[AlertCommentType]:
        rows = await info.context.loaders.comments_by_alert_id.load(self.model.id)
        return [AlertCommentType.from_model(row) for row in rows]

    @described_field("Notifications per (transition, channel) with their attempts.")
    async def deliveries(self, info: Info) -> list[DeliveryType]:
        views = await info.context.loaders.deliveries_by_alert_id.load(self.model.id)
        return [DeliveryType.from_view(view) for view in views]
