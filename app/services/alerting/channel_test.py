"""testChannel: a test message through a channel, sent at once. The one send on a request path,
by the user's own asking, so that whoever sets a channel up sees per URL whether it works (masked
URL, status, error scrubbed of secrets). A use case: it reads the channel in a short session of
its own and holds no transaction while it sends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.adapters.notifier import AppriseNotifier
from app.db import SessionFactory
from app.domain.alerting.delivery import Permanence
from app.keyring import Keyring
from app.services.alerting.channel_config import ChannelView, get_channel
from app.services.alerting.channels import Notifier, send_test_message

# Under the API's operation time limit (10 s by default), so a dead receiver gets its own answer.
TEST_TIMEOUT_SECONDS = 8.0


@dataclass(frozen=True, slots=True)
class UrlOutcome:
    index: int
    masked_url: str
    status: str  # sent, skipped (the tag filter left it out) or failed
    permanence: Permanence | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelTest:
    channel: ChannelView
    outcomes: tuple[UrlOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(outcome.status != "failed" for outcome in self.outcomes)


def channel_test_sender() -> Notifier:
    return AppriseNotifier(timeout_seconds=TEST_TIMEOUT_SECONDS)


async def send_channel_test(
    session_factory: SessionFactory,
    keyring: Keyring,
    channel_id: uuid.UUID,
    *,
    notifier: Notifier | None = None,
) -> ChannelTest:
    async with session_factory() as session:
        channel = await get_channel(session, channel_id)
    deliveries = await send_test_message(channel, keyring, notifier or channel_test_sender())
    return ChannelTest(
        ChannelView.of(channel),
        tuple(
            UrlOutcome(
                index=delivery.index,
                masked_url=delivery.masked_url,
                status=delivery.status.value,
                permanence=delivery.permanence,
                error=delivery.error,
            )
            for delivery in deliveries
        ),
    )
