"""Silence output types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.api.alerting.selectors import SubjectMatcherType
from app.api.alerting.windows import SilenceWindowType, window_type
from app.services.alerting.silence_config import SilenceView


@strawberry.type(name="Silence")
class SilenceType:
    id: strawberry.ID
    matchers: SubjectMatcherType
    window: SilenceWindowType
    author: str = strawberry.field(description="The name of the token that created it.")
    comment: str
    active: bool = strawberry.field(description="Whether it silences matching alerts right now.")
    expired_at: datetime | None = strawberry.field(
        description="When it was expired by hand; it never silences again."
    )
    created_at: datetime

    @classmethod
    def from_view(cls, view: SilenceView) -> SilenceType:
        silence = view.silence
        return cls(
            id=strawberry.ID(str(silence.id)),
            matchers=SubjectMatcherType.from_domain(silence.matcher),
            window=window_type(silence.window),
            author=silence.author,
            comment=silence.comment,
            active=view.active,
            expired_at=view.expired_at,
            created_at=view.created_at,
        )
