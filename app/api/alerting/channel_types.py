"""Channel output types. A channel's URLs are secrets: only their masked form is ever returned."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.domain.alerting.delivery import Permanence
from app.services.alerting.channel_config import ChannelView
from app.services.alerting.channel_test import UrlOutcome


@strawberry.enum(name="ChannelTestStatus")
class ChannelTestStatus(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


@strawberry.type(
    name="ChannelUrlTestResult", description="What happened to one URL of the channel."
)
class ChannelUrlTestResultType:
    index: int = strawberry.field(description="The URL's place in the channel, from 0.")
    masked_url: str
    status: ChannelTestStatus
    permanent: bool | None = strawberry.field(
        description="For a failure: true when retrying cannot help (bad URL, refused credentials)."
    )
    error: str | None = strawberry.field(description="Why it failed, with secrets masked.")

    @classmethod
    def from_outcome(cls, outcome: UrlOutcome) -> ChannelUrlTestResultType:
        return cls(
            index=outcome.index,
            masked_url=outcome.masked_url,
            status=ChannelTestStatus(outcome.status),
            permanent=None
            if outcome.permanence is None
            else outcome.permanence is Permanence.PERMANENT,
            error=outcome.error,
        )


@strawberry.type(
    name="Channel",
    description="Where notifications go: Apprise URLs, shown masked (they hold credentials).",
)
class ChannelType:
    id: strawberry.ID
    name: str
    description: str
    masked_urls: list[str] = strawberry.field(
        description="Each URL with its secret parts masked, e.g. slack://T1…/A1…/***."
    )
    tags: list[str] = strawberry.field(description="Apprise tags given to the channel's URLs.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: ChannelView) -> ChannelType:
        return cls(
            id=strawberry.ID(str(view.id)),
            name=view.name,
            description=view.description,
            masked_urls=list(view.masked_urls),
            tags=sorted(view.tags),
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


@strawberry.type(name="ChannelTestResult")
class ChannelTestResultType:
    channel: ChannelType
    ok: bool = strawberry.field(description="Whether every URL it was sent to accepted it.")
    results: list[ChannelUrlTestResultType]
