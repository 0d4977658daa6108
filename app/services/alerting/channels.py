"""Channels: Apprise URLs judged by Apprise, kept encrypted with the keyring, shown masked.
Building blocks for the API (the caller's session, never a commit) and for delivery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.apprise_urls import validate_channel_urls
from app.adapters.notifier import ChannelTarget
from app.domain.alerting.channel_urls import mask_url
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
