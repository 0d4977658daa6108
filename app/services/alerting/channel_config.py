"""Channel configuration for the API: create, edit, list and remove the places notifications go.
Building blocks (the caller's session, never a commit) over app/services/alerting/channels.py,
which judges URLs with Apprise and seals them with the keyring.

A channel's URLs are credentials: what leaves this module is a `ChannelView`, masked URLs only.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.keyring import Keyring
from app.models import AlertRule, Channel
from app.models.columns import utcnow
from app.services.alerting import channels
from app.services.patch import UNCHANGED, Unchanged

MAX_TAGS = channels.MAX_TAGS
MAX_DESCRIPTION_CHARS = 2000
# Apprise splits tags on commas and spaces, so a tag is one word.
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")


@dataclass(frozen=True, kw_only=True)
class ChannelDraft:
    name: str
    urls: tuple[str, ...] = field(repr=False)
    tags: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ChannelChanges:
    name: str | Unchanged = UNCHANGED
    urls: tuple[str, ...] | Unchanged = field(default=UNCHANGED, repr=False)
    tags: tuple[str, ...] | Unchanged = UNCHANGED
    description: str | Unchanged = UNCHANGED


@dataclass(frozen=True, kw_only=True)
class ChannelView:
    """A channel as anyone may see it: masked URLs only."""

    id: uuid.UUID
    name: str
    description: str
    masked_urls: tuple[str, ...]
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, channel: Channel) -> ChannelView:
        return cls(
            id=channel.id,
            name=channel.name,
            description=channel.description,
            masked_urls=tuple(channel.masked_urls),
            tags=tuple(channel.tags),
            created_at=channel.created_at,
            updated_at=channel.updated_at,
        )


def validate_tags(tags: Sequence[str]) -> tuple[str, ...]:
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"tags: at most {MAX_TAGS}, got {len(tags)}", field="tags")
    for tag in tags:
        if not _TAG.match(tag):
            raise InvalidInput(
                f"tags: {tag[:70]!r} is not a valid tag (letters, digits, '_', '.', ':' and '-', "
                "starting with a letter or digit, at most 63 characters)",
                field="tags",
            )
    return tuple(sorted(set(tags)))


async def create_channel(
    session: AsyncSession, draft: ChannelDraft, keyring: Keyring
) -> ChannelView:
    _description(draft.description)
    channel = await channels.create_channel(
        session,
        keyring,
        name=draft.name,
        urls=draft.urls,
        tags=validate_tags(draft.tags),
        description=draft.description,
    )
    return ChannelView.of(channel)


async def update_channel(
    session: AsyncSession, channel_id: uuid.UUID, changes: ChannelChanges, keyring: Keyring
) -> ChannelView:
    """New URLs replace all the old ones, judged by Apprise like new ones."""
    channel = await get_channel(session, channel_id)
    if changes.name is not UNCHANGED:
        channel.name = _name(changes.name)
    if changes.description is not UNCHANGED:
        channel.description = _description(changes.description)
    if changes.tags is not UNCHANGED:
        channel.tags = list(validate_tags(changes.tags))
    if changes.urls is not UNCHANGED:
        for column, value in channels.sealed_urls(changes.urls, keyring).items():
            setattr(channel, column, value)
    channel.updated_at = utcnow()
    try:
        async with session.begin_nested():
            session.add(channel)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a channel named {channel.name!r} already exists", field="name") from None
    return ChannelView.of(channel)


async def delete_channel(session: AsyncSession, channel_id: uuid.UUID) -> None:
    """Rules naming the channel stop sending to it; its past notifications go with it."""
    channel = await get_channel(session, channel_id)
    wanted = str(channel_id)
    for rule in (await session.exec(select(AlertRule))).all():
        if wanted in rule.channel_ids:
            rule.channel_ids = [value for value in rule.channel_ids if value != wanted]
            rule.updated_at = utcnow()
            session.add(rule)
    await session.delete(channel)
    await session.flush()


async def list_channels(session: AsyncSession) -> list[ChannelView]:
    rows = await session.exec(select(Channel).order_by(col(Channel.name)))
    return [ChannelView.of(channel) for channel in rows.all()]


async def channels_by_id(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ChannelView]:
    rows = await session.exec(select(Channel).where(col(Channel.id).in_(set(channel_ids))))
    return {channel.id: ChannelView.of(channel) for channel in rows.all()}


async def get_channel(session: AsyncSession, channel_id: uuid.UUID) -> Channel:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id}", field="id")
    return channel


async def existing_channel_ids(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID], *, field: str = "channelIds"
) -> None:
    """NotFound naming every unknown channel, so a rule never points at nothing."""
    if not channel_ids:
        return
    rows = await session.exec(select(Channel.id).where(col(Channel.id).in_(list(channel_ids))))
    known = set(rows.all())
    missing = [str(value) for value in channel_ids if value not in known]
    if missing:
        raise NotFound(f"{field}: unknown channel {', '.join(missing[:5])}", field=field)


def _name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(stripped) > channels.MAX_NAME_CHARS:
        raise InvalidInput(
            f"a channel needs a name of 1 to {channels.MAX_NAME_CHARS} characters", field="name"
        )
    return stripped


def _description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput(
            f"description: at most {MAX_DESCRIPTION_CHARS} characters", field="description"
        )
    return description
