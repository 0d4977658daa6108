"""Silence configuration for the API: create, list, expire and delete silences. Building blocks:
the caller's session, only flushes, never commits. A silence is validated by building the domain
`Silence` and stored through the codec."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.alerting.matchers import SubjectMatcher
from app.domain.alerting.silences import OneOffWindow, Silence, SilenceWindow, active
from app.errors import InvalidInput, NotFound
from app.models import Silence as SilenceRow
from app.models.alerting_codec import silence_of, silence_values

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

    @classmethod
    def of(cls, row: SilenceRow, now: datetime) -> SilenceView:
        silence = silence_of(row)
        return cls(
            silence=silence,
            active=row.expired_at is None and active(silence, now),
            expired_at=row.expired_at,
            created_at=row.created_at,
        )


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


async def create_silence(
    session: AsyncSession, draft: SilenceDraft, *, author: str, now: datetime
) -> SilenceView:
    silence = build_silence(uuid.uuid4(), draft, author=author)
    if isinstance(silence.window, OneOffWindow) and silence.window.ends_at <= now:
        raise InvalidInput("window.endsAt: already past", field="window.endsAt")
    row = SilenceRow(**silence_values(silence), created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return SilenceView.of(row, now)


async def expire_silence(
    session: AsyncSession, silence_id: uuid.UUID, *, now: datetime
) -> SilenceView:
    """Ends it now; expiring an expired silence changes nothing."""
    row = await get_silence(session, silence_id)
    if row.expired_at is None:
        row.expired_at = now
        row.updated_at = now
        session.add(row)
        await session.flush()
    return SilenceView.of(row, now)


async def delete_silence(session: AsyncSession, silence_id: uuid.UUID) -> None:
    """Transitions recorded under it keep its id (`silencedBy`): they say what happened."""
    await session.delete(await get_silence(session, silence_id))
    await session.flush()


async def list_silences(
    session: AsyncSession, *, now: datetime, include_expired: bool = False
) -> list[SilenceView]:
    query = select(SilenceRow).order_by(col(SilenceRow.created_at).desc(), col(SilenceRow.id))
    views = [SilenceView.of(row, now) for row in (await session.exec(query)).all()]
    if include_expired:
        return views
    return [view for view in views if not _over(view, now)]


async def get_silence(session: AsyncSession, silence_id: uuid.UUID) -> SilenceRow:
    row = await session.get(SilenceRow, silence_id)
    if row is None:
        raise NotFound(f"no silence {silence_id}", field="id")
    return row


def _over(view: SilenceView, now: datetime) -> bool:
    """Expired by hand, or a one-off window that has closed: it will never silence again."""
    window = view.silence.window
    return view.expired_at is not None or (
        isinstance(window, OneOffWindow) and window.ends_at <= now
    )
