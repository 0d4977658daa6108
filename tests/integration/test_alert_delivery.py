"""Delivery from notification rows to real local receivers: what arrives, what is recorded, retries
and failures, several workers at once, and secrets kept out of every log line and stored error."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from app.adapters.notifier import AppriseNotifier, UrlStatus
from app.db import SessionFactory, create_session_factory
from app.domain.alerting.delivery import RetryPolicy
from app.keyring import Keyring
from app.models import AlertRule, AttemptResult, Channel, NotificationStatus
from app.models.columns import utcnow
from app.services.alerting.channels import send_test_message
from app.services.alerting.delivery import DeliverySettings, deliver_due
from app.services.alerting.engine import evaluate_new_events
from tests.fixtures.alerting import attempts, decide, make_world, notifications
from tests.fixtures.database import DatabaseTarget
from tests.fixtures.logs import LogFile
from tests.fixtures.receivers import SmtpServer, Webhook

QUICK = DeliverySettings(
    base_url="https://patrol.example.com",
    policy=RetryPolicy(first_delay=timedelta(0), max_attempts=3),
)
SECRET = "k9Xq2S3CRETtoken"
HEADER_SECRET = "hdr-S3CRET-value"


def hook_url(webhook: Webhook) -> str:
    return f"json://127.0.0.1:{webhook.port}/hooks/{SECRET}?+X-Patrol-Key={HEADER_SECRET}"


async def deliver_everything(session_factory: SessionFactory, keyring: Keyring) -> None:
    notifier = AppriseNotifier(timeout_seconds=5)
    while await deliver_due(
        session_factory, notifier, keyring, worker="w1", now=utcnow(), settings=QUICK
    ):
        pass


async def test_a_firing_and_its_resolution_reach_a_json_webhook_with_body_and_headers(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    world = await make_world(session_factory, keyring, [hook_url(webhook)])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    (firing,) = webhook.requests
    assert firing.path == f"/hooks/{SECRET}"
    assert firing.headers["X-Patrol-Key"] == HEADER_SECRET
    assert firing.body["type"] == "failure"
    assert firing.body["title"] == "[WARNING] FIRING: web/ping on c0 (failed)"
    assert "3 runs failed in a row" in firing.body["message"]
    assert "- connection refused" in firing.body["message"]
    assert "https://patrol.example.com/runs/" in firing.body["message"]

    await decide(world, True, True)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    resolved = webhook.requests[1]
    assert resolved.body["type"] == "success" and "RESOLVED" in resolved.body["title"]
    assert len(webhook.requests) == 2
    rows = await notifications(session_factory)
    assert [row.status for row in rows] == [NotificationStatus.SENT] * 2
    assert all(row.attempts == 1 and row.claimed_by is None for row in rows)
    recorded = await attempts(session_factory)
    assert [attempt.result for attempt in recorded] == [AttemptResult.SENT] * 2
    assert SECRET not in recorded[0].masked_url


async def test_an_email_reaches_the_smtp_server_as_a_parsed_message(
    session_factory: SessionFactory, keyring: Keyring, smtp_server: SmtpServer
) -> None:
    url = f"mailto://127.0.0.1:{smtp_server.port}?from=patrol@example.com&to=oncall@example.com"
    world = await make_world(session_factory, keyring, [url])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    (mail,) = smtp_server.mails
    assert mail.recipients == ["oncall@example.com"]
    assert mail.message["Subject"] == "[WARNING] FIRING: web/ping on c0 (failed)"
    body = mail.message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode()
    assert "web/ping on c0: 3 runs failed in a row." in text and "Rule: web is down" in text


async def test_a_receiver_answering_500_is_retried_then_recorded_as_failed(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    webhook.status = 500
    world = await make_world(session_factory, keyring, [hook_url(webhook)])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    assert len(webhook.requests) == 3
    (row,) = await notifications(session_factory)
    assert row.status is NotificationStatus.FAILED and row.attempts == 3
    assert row.failed_at is not None and row.last_error is not None and "500" in row.last_error
    recorded = await attempts(session_factory)
    assert [attempt.attempt for attempt in recorded] == [1, 2, 3]
    assert {attempt.permanence for attempt in recorded} == {"transient"}


async def test_a_permanent_refusal_fails_at_once(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    webhook.status = 404
    world = await make_world(session_factory, keyring, [hook_url(webhook)])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    assert len(webhook.requests) == 1
    (row,) = await notifications(session_factory)
    assert row.status is NotificationStatus.FAILED and row.attempts == 1


async def test_a_channel_with_two_urls_retries_only_the_one_that_failed(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook, smtp_server: SmtpServer
) -> None:
    webhook.status = 503
    mail = f"mailto://127.0.0.1:{smtp_server.port}?from=patrol@example.com&to=oncall@example.com"
    world = await make_world(session_factory, keyring, [mail, hook_url(webhook)])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    assert len(smtp_server.mails) == 1 and len(webhook.requests) == 3
    recorded = await attempts(session_factory)
    assert [(a.attempt, a.url_index, a.result) for a in recorded] == [
        (1, 0, AttemptResult.SENT),
        (1, 1, AttemptResult.FAILED),
        (2, 1, AttemptResult.FAILED),
        (3, 1, AttemptResult.FAILED),
    ]


async def test_workers_delivering_at_once_send_each_transition_to_each_channel_once(
    session_factory: SessionFactory,
    keyring: Keyring,
    webhook: Webhook,
    database_target: DatabaseTarget,
) -> None:
    webhook.delay_seconds = 0.05
    world = await make_world(session_factory, keyring, [hook_url(webhook)])
    for _ in range(3):
        await decide(world, False, False, False, True, True)
    engines = [database_target.engine() for _ in range(4)]
    try:
        factories = [create_session_factory(engine) for engine in engines]
        await asyncio.gather(*(evaluate_new_events(factory, limit=3) for factory in factories))
        notifier = AppriseNotifier(timeout_seconds=5)

        async def worker(index: int) -> None:
            while await deliver_due(
                factories[index],
                notifier,
                keyring,
                worker=f"w{index}",
                now=utcnow(),
                settings=QUICK,
            ):
                pass

        await asyncio.gather(*(worker(index) for index in range(4)))
    finally:
        for engine in engines:
            await engine.dispose()
    titles = [request.body["title"].split(":")[0] for request in webhook.requests]
    assert sorted(titles) == sorted(["[WARNING] FIRING", "[WARNING] RESOLVED"] * 3)
    assert {row.status for row in await notifications(session_factory)} == {NotificationStatus.SENT}


async def test_no_log_line_or_stored_error_holds_a_channel_urls_secret(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook, debug_logs: LogFile
) -> None:
    webhook.status = 401
    world = await make_world(session_factory, keyring, [hook_url(webhook)])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    (row,) = await notifications(session_factory)
    assert row.status is NotificationStatus.FAILED and row.last_error
    stored = [row.last_error, *(attempt.error or "" for attempt in await attempts(session_factory))]
    stored += [attempt.masked_url for attempt in await attempts(session_factory)]
    for text in [*stored, debug_logs.text()]:
        assert SECRET not in text and HEADER_SECRET not in text
    assert "notification attempt recorded" in debug_logs.text()


async def test_a_template_failing_at_render_falls_back_to_the_default_and_is_kept_on_the_rule(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    world = await make_world(session_factory, keyring, [hook_url(webhook)])
    async with session_factory.begin() as session:
        await session.exec(
            sa.update(AlertRule).values(title_template="{{ check.owner.name }} is down")
        )
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver_everything(session_factory, keyring)
    (request,) = webhook.requests
    assert request.body["title"] == "[WARNING] FIRING: web/ping on c0 (failed)"
    async with session_factory() as session:
        rule = await session.get(AlertRule, world.rule_id)
    assert rule is not None and rule.last_template_error is not None
    assert "owner" in rule.last_template_error and rule.last_template_error_at is not None


async def test_a_test_message_reaches_every_url_of_a_channel(
    session_factory: SessionFactory, keyring: Keyring, webhook: Webhook, smtp_server: SmtpServer
) -> None:
    mail = f"mailto://127.0.0.1:{smtp_server.port}?from=patrol@example.com&to=oncall@example.com"
    world = await make_world(session_factory, keyring, [hook_url(webhook), mail])
    async with session_factory() as session:
        channel = await session.get(Channel, world.channel_id)
    assert channel is not None
    results = await send_test_message(channel, keyring, AppriseNotifier(timeout_seconds=5))
    assert [result.status for result in results] == [UrlStatus.SENT, UrlStatus.SENT]
    assert webhook.requests[0].body["title"] == "[INFO] Patrol test message"
    assert smtp_server.mails[0].message["Subject"] == "[INFO] Patrol test message"
