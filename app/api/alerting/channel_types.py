"""Channel output types. A channel's URLs are secrets: only their masked form is ever returned."""

from __future__ import annotations

import enum

import strawberry

from app.domain.alerting.delivery import Permanence
from app.services.channel_test import UrlOutcome


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
