"""Channel use cases: create, edit, remove and test the places notifications go.

A channel's URLs are credentials. They are judged by Apprise at the door (refused with its own
reason, secrets scrubbed), stored encrypted, and never read back except to send; what is shown is
their masked form, computed when they are stored.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.adapters.apprise_urls import validate_channel_urls
from app.domain.alerting.channel_urls import mask_url
from app.errors import InvalidInput
from app.services.patch import UNCHANGED, Unchanged

MAX_NAME_CHARS = 100
MAX_TAGS = 20
# Apprise splits tags on commas and spaces, so a tag is one word.
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")


@dataclass(frozen=True, kw_only=True)
class ChannelDraft:
    name: str
    urls: tuple[str, ...] = field(repr=False)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ChannelChanges:
    name: str | Unchanged = UNCHANGED
    urls: tuple[str, ...] | Unchanged = field(default=UNCHANGED, repr=False)
    tags: tuple[str, ...] | Unchanged = UNCHANGED


@dataclass(frozen=True, kw_only=True)
class ChannelView:
    """A channel as anyone may see it: masked URLs only."""

    id: uuid.UUID
    name: str
    masked_urls: tuple[str, ...]
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


def validate_name(name: str) -> str:
    stripped = name.strip()
    if not stripped:
        raise InvalidInput("name: a channel needs a name", field="name")
    if len(stripped) > MAX_NAME_CHARS:
        raise InvalidInput(f"name: at most {MAX_NAME_CHARS} characters", field="name")
    return stripped


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
    return tuple(dict.fromkeys(tags))


def accepted_urls(urls: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The URLs Apprise accepts (else InvalidInput with its verdict) and their masked forms."""
    accepted = validate_channel_urls(urls, field="urls")
    return accepted, tuple(mask_url(url) for url in accepted)
