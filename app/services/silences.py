"""Silence use cases: create, expire and delete silences. Building blocks: each takes the
caller's session, only flushes, and leaves the transaction to the caller."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.silences import Silence, SilenceWindow
from app.errors import InvalidInput

MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True, kw_only=True)
class SilenceDraft:
    matcher: SubjectMatcher
    window: SilenceWindow
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class SilenceView:
    silence: Silence
    active: bool
    expired_at: datetime | None
    created_at: datetime


def build_silence(silence_id: uuid.UUID, draft: SilenceDraft, *, author: str) -> Silence:
    """The domain silence (author from the caller's token), or InvalidInput naming the field."""
    if len(draft.comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(
            f"comment: at most {MAX_COMMENT_CHARS} characters, got {len(draft.comment)}",
            field="comment",
        )
    return Silence(
        id=silence_id,
        matcher=draft.matcher,
        window=draft.window,
        author=author,
        comment=draft.comment.strip(),
    )
