"""Reading the event log in order for a consumer (subscriptions, the alert engine): every
committed event exactly once per position, late commits included (see app/domain/feed_position.py).
A building block: it reads through the caller's session and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.feed_position import FeedPosition
from app.models import Event

PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[Event]
    position: FeedPosition
    # More events were waiting after this page: read again at once.
    more: bool


async def read_events(
    session: AsyncSession, position: FeedPosition, *, now: datetime, limit: int = PAGE_SIZE
) -> FeedPage:
    """The events after `position` (and those that filled its holes), oldest first."""
    newer = col(Event.id) > position.after
    where = or_(newer, col(Event.id).in_(list(position.gaps))) if position.gaps else newer
    rows = list(
        await session.exec(select(Event).where(where).order_by(col(Event.id)).limit(limit + 1))
    )
    more = len(rows) > limit
    events = rows[:limit]
    ids = [event.id for event in events if event.id is not None]
    return FeedPage(events=events, position=position.read(ids, now=now), more=more)


async def latest_position(session: AsyncSession) -> FeedPosition:
    """A position after everything logged so far: a new consumer starts here, not at the start."""
    last = (await session.exec(select(Event.id).order_by(col(Event.id).desc()).limit(1))).first()
    return FeedPosition.at(last or 0)


async def read_missed(
    session: AsyncSession,
    since: FeedPosition,
    until: FeedPosition,
    *,
    after_id: int = 0,
    where: Sequence[ColumnElement[bool]] = (),
    limit: int = PAGE_SIZE,
) -> list[Event]:
    """A replay: the events that a reader at `until` has read and one at `since` has not, above
    `after_id` and narrowed by `where`, oldest first (at most `limit`; page on with the last id)."""
    newer = and_(col(Event.id) > since.after, col(Event.id) <= until.after)
    missed = or_(newer, col(Event.id).in_(list(since.gaps))) if since.gaps else newer
    conditions = [missed, col(Event.id) > after_id, col(Event.id) <= until.after, *where]
    if until.gaps:
        conditions.append(col(Event.id).not_in(list(until.gaps)))
    query = select(Event).where(*conditions).order_by(col(Event.id)).limit(limit)
    return list(await session.exec(query))
