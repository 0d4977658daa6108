"""Reading alerts for the API: a filtered, keyset-paginated list (newest fired first), and one
alert's transitions, comments and delivery attempts. Delivery attempts hold masked URLs and
scrubbed errors only: that is all the delivery workers store."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.domain.alerting.rules import Severity
from app.domain.alerting.state import AlertStatus
from app.models import (
    Alert,
    AlertComment,
    AlertTransition,
    Channel,
    DeliveryAttempt,
    Notification,
)


@dataclass(frozen=True, kw_only=True)
class AlertFilter:
    statuses: tuple[AlertStatus, ...] = ()
    severities: tuple[Severity, ...] = ()
    rule_id: uuid.UUID | None = None
    check_id: uuid.UUID | None = None
    cluster_id: uuid.UUID | None = None
    since: datetime | None = None  # fired at or after
    until: datetime | None = None  # fired strictly before


@dataclass(frozen=True, slots=True)
class AlertPlace:
    """Where an alert sits in the list: newest fired first, then by id."""

    fired_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class NotificationView:
    notification: Notification
    channel_name: str | None
    attempts: tuple[DeliveryAttempt, ...] = field(default=())


async def list_alerts(
    session: AsyncSession, where: AlertFilter, *, limit: int, after: AlertPlace | None = None
) -> list[Alert]:
    query = _filtered(select(Alert), where)
    if after is not None:
        query = query.where(
            or_(
                col(Alert.fired_at) < after.fired_at,
                (col(Alert.fired_at) == after.fired_at) & (col(Alert.id) < after.id),
            )
        )
    rows = await session.exec(
        query.order_by(col(Alert.fired_at).desc(), col(Alert.id).desc()).limit(limit)
    )
    return list(rows.all())


async def count_alerts(session: AsyncSession, where: AlertFilter) -> int:
    query = _filtered(select(func.count()).select_from(Alert), where)
    return int((await session.exec(query)).one())


async def get_alert(session: AsyncSession, alert_id: uuid.UUID) -> Alert | None:
    return await session.get(Alert, alert_id)


async def transitions_by_alert_id(
    session: AsyncSession, alert_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AlertTransition]]:
    rows = await session.exec(
        select(AlertTransition)
        .where(col(AlertTransition.alert_id).in_(set(alert_ids)))
        .order_by(col(AlertTransition.sequence))
    )
    grouped: dict[uuid.UUID, list[AlertTransition]] = defaultdict(list)
    for row in rows.all():
        grouped[row.alert_id].append(row)
    return grouped


async def comments_by_alert_id(
    session: AsyncSession, alert_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AlertComment]]:
    rows = await session.exec(
        select(AlertComment)
        .where(col(AlertComment.alert_id).in_(set(alert_ids)))
        .order_by(col(AlertComment.at), col(AlertComment.id))
    )
    grouped: dict[uuid.UUID, list[AlertComment]] = defaultdict(list)
    for row in rows.all():
        grouped[row.alert_id].append(row)
    return grouped


async def notifications_by_alert_id(
    session: AsyncSession, alert_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[NotificationView]]:
    """Each (transition, channel) notification with its channel's name and every attempt."""
    rows = (
        await session.exec(
            select(Notification, Channel.name)
            .join(Channel, col(Channel.id) == col(Notification.channel_id), isouter=True)
            .where(col(Notification.alert_id).in_(set(alert_ids)))
            .order_by(col(Notification.created_at), col(Notification.id))
        )
    ).all()
    attempts: dict[uuid.UUID, list[DeliveryAttempt]] = defaultdict(list)
    if rows:
        found = await session.exec(
            select(DeliveryAttempt)
            .where(col(DeliveryAttempt.notification_id).in_([row.id for row, _ in rows]))
            .order_by(col(DeliveryAttempt.attempt), col(DeliveryAttempt.url_index))
        )
        for attempt in found.all():
            attempts[attempt.notification_id].append(attempt)
    grouped: dict[uuid.UUID, list[NotificationView]] = defaultdict(list)
    for row, name in rows:
        grouped[row.alert_id].append(
            NotificationView(
                notification=row, channel_name=name, attempts=tuple(attempts.get(row.id, ()))
            )
        )
    return grouped


def _filtered(query: SelectOfScalar[Any], where: AlertFilter) -> SelectOfScalar[Any]:
    if where.statuses:
        query = query.where(col(Alert.status).in_(list(where.statuses)))
    if where.severities:
        query = query.where(col(Alert.severity).in_(list(where.severities)))
    if where.rule_id is not None:
        query = query.where(col(Alert.rule_id) == where.rule_id)
    if where.check_id is not None:
        query = query.where(col(Alert.check_id) == where.check_id)
    if where.cluster_id is not None:
        query = query.where(col(Alert.cluster_id) == where.cluster_id)
    if where.since is not None:
        query = query.where(col(Alert.fired_at) >= where.since)
    if where.until is not None:
        query = query.where(col(Alert.fired_at) < where.until)
    return query
