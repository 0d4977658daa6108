"""Delivering notifications: claim due rows with a lease, render the transition's message, send it
through Apprise, record every attempt per URL, then mark the row sent, pending again (transient
failure, with backoff) or failed (permanent, or out of budget).

Exactly one row exists per (transition, channel); a claim is a conditional UPDATE that one worker
wins, so the message goes out once. The one honest exception: a worker that dies after sending and
before recording leaves its claim to expire, and the next worker sends again (at-least-once on the
wire in that crash case only)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.notifier import UrlDelivery, UrlStatus
from app.db import SessionFactory
from app.domain.alerting.delivery import (
    DEFAULT_RETRY_POLICY,
    Permanence,
    RetryPolicy,
    next_attempt_at,
)
from app.domain.alerting.inputs import AlertSubject, CheckIdentity, ClusterIdentity
from app.domain.alerting.messages import render_transition
from app.domain.alerting.rendering import RenderedMessage
from app.domain.alerting.state import AlertKey, Cause, Transition
from app.keyring import Keyring, UnreadableSecret
from app.logging import get_logger
from app.models import (
    Alert,
    AlertRule,
    AlertTransition,
    AttemptResult,
    Channel,
    Check,
    Cluster,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
)
from app.models.alerting_codec import rule_of, run_decided_of, uuids
from app.models.columns import utcnow
from app.services.alerting.channels import Notifier, channel_targets

log = get_logger(__name__)
# Longer than a send can take (every URL of a channel is sent at once, each with its timeout).
LEASE = timedelta(minutes=5)
CLAIM_BATCH = 20


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    base_url: str = ""
    policy: RetryPolicy = DEFAULT_RETRY_POLICY
    lease: timedelta = LEASE


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _due(now: datetime, lease: timedelta) -> Any:
    return or_(
        and_(
            col(Notification.status) == NotificationStatus.PENDING,
            col(Notification.next_attempt_at) <= now,
        ),
        and_(
            col(Notification.status) == NotificationStatus.SENDING,
            col(Notification.claimed_at) < now - lease,
        ),
    )


async def claim_due(
    session_factory: SessionFactory,
    worker: str,
    *,
    now: datetime,
    lease: timedelta = LEASE,
    limit: int = CLAIM_BATCH,
) -> list[uuid.UUID]:
    """Claim due notifications for `worker`: the ones whose conditional UPDATE matched."""
    async with session_factory.begin() as session:
        candidates = (
            await session.exec(
                select(Notification.id)
                .where(_due(now, lease))
                .order_by(col(Notification.next_attempt_at))
                .limit(limit)
            )
        ).all()
        claimed: list[uuid.UUID] = []
        for notification_id in candidates:
            result = await session.exec(
                sa.update(Notification)
                .where(col(Notification.id) == notification_id, _due(now, lease))
                .values(status=NotificationStatus.SENDING, claimed_by=worker, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                claimed.append(notification_id)
    return claimed


async def deliver_due(
    session_factory: SessionFactory,
    notifier: Notifier,
    keyring: Keyring,
    *,
    worker: str,
    now: datetime,
    settings: DeliverySettings = DeliverySettings(),
) -> int:
    """Claim and deliver one batch; how many were claimed."""
    claimed = await claim_due(session_factory, worker, now=now, lease=settings.lease)
    outcomes = await asyncio.gather(
        *(
            deliver_one(session_factory, notifier, keyring, id_, worker=worker, settings=settings)
            for id_ in claimed
        ),
        return_exceptions=True,
    )
    for notification_id, outcome in zip(claimed, outcomes, strict=True):
        if isinstance(outcome, Exception):
            # Its claim runs out and another attempt follows; the type alone is logged, as the
            # text could quote what a library saw.
            log.error(
                "delivering a notification failed unexpectedly",
                notification_id=str(notification_id),
                error=type(outcome).__name__,
            )
        elif isinstance(outcome, BaseException):
            raise outcome
    return len(claimed)


@dataclass(frozen=True, slots=True)
class _Work:
    notification: Notification
    channel: Channel
    rule_row: AlertRule
    transition: Transition
    subject: AlertSubject
    clusters: dict[uuid.UUID, ClusterIdentity]
    done_urls: frozenset[int]


async def deliver_one(
    session_factory: SessionFactory,
    notifier: Notifier,
    keyring: Keyring,
    notification_id: uuid.UUID,
    *,
    worker: str,
    settings: DeliverySettings = DeliverySettings(),
) -> None:
    """Send a notification this worker claimed, and record what happened."""
    async with session_factory() as session:
        work = await _load(session, notification_id)
    if work is None or work.notification.claimed_by != worker:
        return
    rule = rule_of(work.rule_row)
    message = render_transition(
        rule, work.transition, work.subject, base_url=settings.base_url, clusters=work.clusters
    )
    try:
        targets = channel_targets(work.channel, keyring)
    except UnreadableSecret as error:
        await _record(session_factory, work, worker, [], message, settings, setup_error=str(error))
        return
    pending = [
        (index, target) for index, target in enumerate(targets) if index not in work.done_urls
    ]
    results = await notifier.send(message, work.transition.kind, [target for _, target in pending])
    # The notifier numbers the URLs it was given; put back each one's place in the channel.
    deliveries = [replace(result, index=pending[result.index][0]) for result in results]
    await _record(session_factory, work, worker, deliveries, message, settings)


async def _load(session: AsyncSession, notification_id: uuid.UUID) -> _Work | None:
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.status is not NotificationStatus.SENDING:
        return None
    channel = await session.get(Channel, notification.channel_id)
    row = await session.get(AlertTransition, notification.transition_id)
    alert = await session.get(Alert, notification.alert_id)
    if channel is None or row is None or alert is None:
        return None
    rule_row = await session.get(AlertRule, alert.rule_id)
    check = await session.get(Check, alert.check_id)
    if rule_row is None or check is None:
        return None
    failing = uuids(row.failing_clusters)
    cause_run = run_decided_of(row.cause_run) if row.cause_run else None
    cluster_ids = {*failing, *([alert.cluster_id] if alert.cluster_id else [])}
    if cause_run is not None:
        cluster_ids.add(cause_run.cluster_id)
    clusters = {
        id_: ClusterIdentity(id_, name, dict(labels))
        for id_, name, labels in await session.exec(
            select(Cluster.id, Cluster.name, Cluster.labels).where(
                col(Cluster.id).in_(list(cluster_ids))
            )
        )
    }
    key = AlertKey(alert.rule_id, alert.check_id, alert.cluster_id)
    transition = Transition(
        id=row.id,
        alert_id=row.alert_id,
        key=key,
        kind=row.kind,
        at=row.at,
        cause=Cause(row.cause_kind, run=cause_run, actor=row.cause_actor, text=row.cause_text),
        alert_fired_at=row.alert_fired_at,
        silenced_by=row.silenced_by,
        failing_clusters=failing,
    )
    cluster = clusters.get(alert.cluster_id) if alert.cluster_id else None
    subject = AlertSubject(
        CheckIdentity(check.id, check.namespace, check.name, dict(check.labels)), cluster
    )
    done = frozenset(
        (
            await session.exec(
                select(DeliveryAttempt.url_index).where(
                    col(DeliveryAttempt.notification_id) == notification_id,
                    or_(
                        col(DeliveryAttempt.result) != AttemptResult.FAILED,
                        col(DeliveryAttempt.permanence) == Permanence.PERMANENT,
                    ),
                )
            )
        ).all()
    )
    return _Work(notification, channel, rule_row, transition, subject, clusters, done)


async def _record(
    session_factory: SessionFactory,
    work: _Work,
    worker: str,
    deliveries: Sequence[UrlDelivery],
    message: RenderedMessage,
    settings: DeliverySettings,
    *,
    setup_error: str | None = None,
) -> None:

    now = utcnow()
    notification = work.notification
    attempt = notification.attempts + 1
    first_attempt_at = notification.first_attempt_at or now
    failed = [d for d in deliveries if d.status is UrlStatus.FAILED]
    transient = [d for d in failed if d.permanence is Permanence.TRANSIENT]
    values: dict[str, object] = {
        "attempts": attempt,
        "first_attempt_at": first_attempt_at,
        "claimed_by": None,
        "claimed_at": None,
    }
    if setup_error is not None:
        values |= {"status": NotificationStatus.FAILED, "failed_at": now, "last_error": setup_error}
    elif not failed:
        values |= {"status": NotificationStatus.SENT, "sent_at": now, "last_error": None}
    else:
        error = "; ".join(f"URL {d.index + 1} ({d.masked_url}): {d.error}" for d in failed)
        retry_at = (
            next_attempt_at(
                Permanence.TRANSIENT,
                attempts=attempt,
                first_attempt_at=first_attempt_at,
                now=now,
                policy=settings.policy,
            )
            if transient
            else None
        )
        if retry_at is None:
            values |= {"status": NotificationStatus.FAILED, "failed_at": now, "last_error": error}
        else:
            values |= {
                "status": NotificationStatus.PENDING,
                "next_attempt_at": retry_at,
                "last_error": error,
            }
    async with session_factory.begin() as session:
        # Attempts are facts even if the lease was lost meanwhile: they are all recorded.
        if deliveries:
            await session.exec(
                sa.insert(DeliveryAttempt),
                params=[
                    {
                        "id": uuid.uuid4(),
                        "notification_id": notification.id,
                        "attempt": attempt,
                        "at": now,
                        "worker": worker,
                        "url_index": delivery.index,
                        "masked_url": delivery.masked_url,
                        "result": AttemptResult(delivery.status.value),
                        "permanence": delivery.permanence,
                        "error": delivery.error,
                    }
                    for delivery in deliveries
                ],
            )
        result = await session.exec(
            sa.update(Notification)
            .where(
                col(Notification.id) == notification.id,
                col(Notification.claimed_by) == worker,
                col(Notification.status) == NotificationStatus.SENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            log.warning(
                "a notification's lease ran out while sending; its new holder decides",
                notification_id=str(notification.id),
            )
        if message.error is not None:
            await session.exec(
                sa.update(AlertRule)
                .where(col(AlertRule.id) == work.rule_row.id)
                .values(last_template_error=message.error, last_template_error_at=now)
                .execution_options(synchronize_session=False)
            )
    status = values["status"]
    log.info(
        "notification attempt recorded",
        notification_id=str(notification.id),
        channel=work.channel.name,
        attempt=attempt,
        status=str(status),
    )
