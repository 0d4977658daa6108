"""Silence inputs and their translation into service drafts."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.api.alerting.selectors import SubjectMatcherInput
from app.api.alerting.windows import SilenceWindowInput
from app.services.alerting.silence_config import SilenceDraft


@strawberry.input
class CreateSilenceInput:
    matchers: SubjectMatcherInput = strawberry.field(
        description="Which checks and clusters; at least one field must be set."
    )
    window: SilenceWindowInput
    comment: str = ""

    def to_draft(self, now: datetime) -> SilenceDraft:
        return SilenceDraft(
            matcher=self.matchers.to_matcher(field="matchers"),
            window=self.window.to_window(now),
            comment=self.comment,
        )
