"""Channels: Apprise URLs judged by Apprise, kept encrypted with the keyring, shown masked.
Building blocks for the API (the caller's session, never a commit) and for delivery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.apprise_urls import validate_channel_urls
from app.adapters.notifier import ChannelTarget, UrlDelivery
from app.domain.alerting.channel_urls import mask_url
from app.domain.alerting.rendering import RenderedMessage
from app.domain.alerting.state import TransitionKind
from app.errors import Conflict, InvalidInput
from app.keyring import Keyring
from app.models import Channel
from app.models.columns import utcnow

MAX_TAGS = 20
MAX_NAME_CHARS = 200


def sealed_urls(urls: Sequence[str], keyring: Keyring) -> dict[str, object]:
    """The columns holding `urls`: refused with Apprise's (scrubbed) reason if one is unusable."""
    accepted = validate_channel_urls(urls)
    return {
        "urls_encrypted": keyring.encrypt(json.dumps(list(accepted))),
        "masked_urls": [mask_url(url) for url in accepted],
    }


def channel_urls(channel: Channel, keyring: Keyring) -> tuple[str, ...]:
    return tuple(json.loads(keyring.decrypt(channel.urls_encrypted)))


def channel_targets(channel: Channel, keyring: Keyring) -> tuple[ChannelTarget, ...]:
    tags = frozenset(channel.tags)
    return tuple(ChannelTarget(url, tags) for url in channel_urls(channel, keyring))


async def create_channel(
    session: AsyncSession,
    keyring: Keyring,
    *,
    name: str,
    urls: Sequence[str],
    tags: Sequence[str] = (),
    description: str = "",
    channel_id: uuid.UUID | None = None,
) -> Channel:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(
            f"a channel needs a name of 1 to {MAX_NAME_CHARS} characters", field="name"
        )
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    now = utcnow()
    channel = Channel(
        id=channel_id or uuid.uuid4(),
        name=name,
        description=description,
        tags=sorted({tag.strip() for tag in tags if tag.strip()}),
        created_at=now,
        updated_at=now,
        **sealed_urls(urls, keyring),  # type: ignore[arg-type]
    )
    try:
        async with session.begin_nested():
            session.add(channel)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a channel named {name!r} already exists", field="name") from None
    return channel


TEST_MESSAGE = RenderedMessage(
    title="[INFO] Patrol test message",
    body="This channel is set up: Patrol alerts will arrive here.",
)


async def send_test_message(
    channel: Channel, keyring: Keyring, notifier: Notifier
) -> tuple[UrlDelivery, ...]:
    """Send a test message to every URL of the channel now; what happened, per URL (masked,
    errors scrubbed). For the API's testChannel: the one send that is on a request path, by
    the user's own asking."""
    return await notifier.send(
        TEST_MESSAGE, TransitionKind.COMMENTED, channel_targets(channel, keyring)
    )


class Notifier(Protocol):
    async def send(
        self, message: RenderedMessage, kind: TransitionKind, targets: Sequence[ChannelTarget]
    ) -> tuple[UrlDelivery, ...]: ...
