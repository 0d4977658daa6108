"""A test message through a channel, sent at once: the one send on a request path, so that whoever
sets a channel up sees, per URL, whether it works (masked URL, status, error scrubbed of secrets)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.adapters.notifier import AppriseNotifier, ChannelTarget, UrlDelivery
from app.domain.alerting.delivery import Permanence
from app.domain.alerting.rendering import RenderedMessage
from app.domain.alerting.state import TransitionKind

# Under the API's operation time limit (10 s by default), so a dead receiver gets its own answer.
TEST_TIMEOUT_SECONDS = 8.0
# Sent with the "info" look: a test is news, neither a failure nor a recovery.
TEST_KIND = TransitionKind.COMMENTED


@dataclass(frozen=True, slots=True)
class UrlOutcome:
    index: int
    masked_url: str
    status: str  # sent, skipped (the tag filter left it out) or failed
    permanence: Permanence | None = None
    error: str | None = None


class ChannelSender(Protocol):
    async def send(
        self,
        message: RenderedMessage,
        kind: TransitionKind,
        targets: Sequence[ChannelTarget],
        *,
        tags: Collection[str] = (),
    ) -> tuple[UrlDelivery, ...]: ...


def channel_test_message(channel_name: str, actor: str) -> RenderedMessage:
    return RenderedMessage(
        title=f"[TEST] Patrol channel {channel_name}",
        body=(
            f"This is a test message from Patrol, sent by {actor} to the channel "
            f"{channel_name}. If you can read it, alerts sent to this channel will arrive here."
        ),
    )


def default_sender() -> ChannelSender:
    return AppriseNotifier(timeout_seconds=TEST_TIMEOUT_SECONDS)


async def send_test_message(
    sender: ChannelSender,
    targets: Sequence[ChannelTarget],
    *,
    channel_name: str,
    actor: str,
) -> list[UrlOutcome]:
    deliveries = await sender.send(channel_test_message(channel_name, actor), TEST_KIND, targets)
    return [
        UrlOutcome(
            index=delivery.index,
            masked_url=delivery.masked_url,
            status=delivery.status.value,
            permanence=delivery.permanence,
            error=delivery.error,
        )
        for delivery in deliveries
    ]
