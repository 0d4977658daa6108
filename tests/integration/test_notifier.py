"""The Apprise notifier against real local receivers: a JSON webhook and an SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.adapters.notifier import AppriseNotifier, ChannelTarget, UrlStatus
from app.domain.alerting.delivery import Permanence, RetryPolicy, next_attempt_at
from app.domain.alerting.rendering import RenderedMessage
from app.domain.alerting.state import TransitionKind
from tests.fixtures.http_target import free_port
from tests.fixtures.receivers import SmtpServer, Webhook

MESSAGE = RenderedMessage(
    title="[CRITICAL] FIRING: payments/checkout on prod-eu (failed)",
    body="payments/checkout on prod-eu: 3 runs failed in a row.\nRun: https://patrol/runs/1",
)


def hook(webhook: Webhook, path: str = "hooks/k9Xq2TOKEN", query: str = "") -> ChannelTarget:
    return ChannelTarget(f"json://127.0.0.1:{webhook.port}/{path}{query}")


async def test_a_json_webhook_gets_the_title_body_type_and_a_custom_header(
    webhook: Webhook,
) -> None:
    target = hook(webhook, query="?+X-Patrol-Key=hdr-S3CRET-value")
    [delivery] = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, [target])
    assert delivery.status is UrlStatus.SENT and delivery.error is None
    assert delivery.masked_url == f"json://127.0.0.1:{webhook.port}/…/***?+X-Patrol-Key=***"
    [request] = webhook.requests
    assert request.path == "/hooks/k9Xq2TOKEN"
    assert request.headers["X-Patrol-Key"] == "hdr-S3CRET-value"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body["title"] == MESSAGE.title
    assert request.body["message"] == MESSAGE.body
    assert request.body["type"] == "failure"


async def test_a_resolved_message_is_sent_as_a_success(webhook: Webhook) -> None:
    await AppriseNotifier().send(MESSAGE, TransitionKind.RESOLVED, [hook(webhook)])
    assert webhook.requests[0].body["type"] == "success"


async def test_an_email_reaches_the_smtp_server_with_its_subject_body_and_recipient(
    smtp_server: SmtpServer,
) -> None:
    target = ChannelTarget(
        f"mailto://127.0.0.1:{smtp_server.port}?from=patrol@example.com&to=oncall@example.com"
    )
    [delivery] = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, [target])
    assert delivery.status is UrlStatus.SENT, delivery.error
    [mail] = smtp_server.mails
    assert mail.recipients == ["oncall@example.com"]
    assert mail.sender == "patrol@example.com"
    assert mail.message["Subject"] == MESSAGE.title
    assert "oncall@example.com" in mail.message["To"]
    body = mail.message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body.decode().replace("\r\n", "\n").strip() == MESSAGE.body


async def test_a_receiver_answering_500_is_a_transient_failure(webhook: Webhook) -> None:
    webhook.status = 500
    [delivery] = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, [hook(webhook)])
    assert delivery.status is UrlStatus.FAILED
    assert delivery.permanence is Permanence.TRANSIENT
    assert delivery.error is not None and "500" in delivery.error
    assert len(webhook.requests) == 1


async def test_a_receiver_that_keeps_answering_500_is_retried_then_recorded_as_failed(
    webhook: Webhook,
) -> None:
    """The retry loop the delivery worker will run: classify, ask the policy, try again."""
    webhook.status = 500
    policy = RetryPolicy(max_attempts=3)
    notifier, now = AppriseNotifier(), datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
    first, attempts, retry_at = now, 0, now
    while retry_at is not None:
        [delivery] = await notifier.send(MESSAGE, TransitionKind.FIRING, [hook(webhook)])
        attempts += 1
        assert delivery.status is UrlStatus.FAILED and delivery.permanence is not None
        now = retry_at
        retry_at = next_attempt_at(
            delivery.permanence, attempts=attempts, first_attempt_at=first, now=now, policy=policy
        )
    assert attempts == 3 and len(webhook.requests) == 3
    assert now == first + timedelta(seconds=30) + timedelta(seconds=60)


async def test_a_receiver_refusing_credentials_is_a_permanent_failure(webhook: Webhook) -> None:
    webhook.status = 401
    [delivery] = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, [hook(webhook)])
    assert delivery.status is UrlStatus.FAILED
    assert delivery.permanence is Permanence.PERMANENT
    assert delivery.error is not None and "401" in delivery.error


async def test_an_unreachable_port_is_a_transient_failure() -> None:
    target = ChannelTarget(f"json://127.0.0.1:{free_port()}/hooks/k9Xq2TOKEN")
    [delivery] = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, [target])
    assert delivery.status is UrlStatus.FAILED
    assert delivery.permanence is Permanence.TRANSIENT
    assert delivery.error is not None and "Connection error" in delivery.error
    assert "k9Xq2TOKEN" not in delivery.error


async def test_a_receiver_slower_than_the_timeout_is_a_transient_failure(
    webhook: Webhook,
) -> None:
    webhook.delay_seconds = 1.5
    notifier = AppriseNotifier(timeout_seconds=0.3)
    [delivery] = await notifier.send(MESSAGE, TransitionKind.FIRING, [hook(webhook)])
    assert delivery.status is UrlStatus.FAILED
    assert (delivery.permanence, delivery.error) == (Permanence.TRANSIENT, "no answer within 0.3s")


async def test_a_malformed_url_is_a_permanent_failure_that_does_not_quote_it() -> None:
    target = ChannelTarget("slack://T1JJ3T3L2/B0SECRETPART")
    [delivery] = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, [target])
    assert delivery.status is UrlStatus.FAILED
    assert delivery.permanence is Permanence.PERMANENT
    assert delivery.error is not None and delivery.error.startswith("refused by Apprise: ")
    assert "B0SECRETPART" not in delivery.error and "T1JJ3T3L2" not in delivery.error


async def test_each_url_of_a_channel_gets_its_own_result(webhook: Webhook) -> None:
    targets = [hook(webhook, "ok"), ChannelTarget(f"json://127.0.0.1:{free_port()}/down")]
    results = await AppriseNotifier().send(MESSAGE, TransitionKind.FIRING, targets)
    assert [(r.index, r.status) for r in results] == [(0, UrlStatus.SENT), (1, UrlStatus.FAILED)]


async def test_urls_outside_the_tag_filter_are_skipped(webhook: Webhook) -> None:
    targets = [
        ChannelTarget(hook(webhook, "pager").url, frozenset({"critical"})),
        ChannelTarget(hook(webhook, "chat").url, frozenset({"chat"})),
    ]
    results = await AppriseNotifier().send(
        MESSAGE, TransitionKind.FIRING, targets, tags={"critical"}
    )
    assert [r.status for r in results] == [UrlStatus.SENT, UrlStatus.SKIPPED]
    assert [request.path for request in webhook.requests] == ["/pager"]
