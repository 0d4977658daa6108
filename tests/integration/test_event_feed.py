"""The event log read as a feed: nothing committed is ever skipped, late commits included."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import SessionFactory
from app.domain.feed_position import GAP_PATIENCE, FeedPosition
from app.models import Event, EventKind
from app.models.columns import utcnow
from app.services.event_feed import latest_position, read_events
from tests.fixtures.database import POSTGRES_URL

CHECK = uuid.uuid4()


def an_event() -> dict[str, Any]:
    return {"at": utcnow(), "kind": EventKind.RUN_CREATED, "check_id": CHECK, "payload": {}}


async def append(session_factory: SessionFactory, count: int) -> None:
    async with session_factory.begin() as session:
        await session.exec(sa.insert(Event), params=[an_event() for _ in range(count)])


async def read_all(
    session_factory: SessionFactory,
    position: FeedPosition,
    *,
    limit: int = 500,
    now_offset: timedelta = timedelta(),
) -> tuple[list[int], FeedPosition]:
    ids: list[int] = []
    while True:
        async with session_factory() as session:
            page = await read_events(session, position, now=utcnow() + now_offset, limit=limit)
        ids += [event.id for event in page.events if event.id is not None]
        position = page.position
        if not page.more:
            return ids, position


async def test_pages_deliver_every_event_once_in_order(session_factory: SessionFactory) -> None:
    await append(session_factory, 25)
    ids, position = await read_all(session_factory, FeedPosition(), limit=7)
    assert ids == sorted(set(ids)) and len(ids) == 25
    assert position.after == ids[-1] and not position.gaps
    await append(session_factory, 3)
    more, _ = await read_all(session_factory, position, limit=7)
    assert len(more) == 3 and more[0] > ids[-1]


async def test_a_new_consumer_starts_after_what_is_logged(session_factory: SessionFactory) -> None:
    await append(session_factory, 4)
    async with session_factory() as session:
        position = await latest_position(session)
    await append(session_factory, 2)
    ids, _ = await read_all(session_factory, position)
    assert len(ids) == 2


@pytest.mark.skipif(
    POSTGRES_URL is None,
    reason="SQLite has one writer at a time: its events always become visible in id order",
)
async def test_an_event_committed_late_is_read_when_it_appears(
    engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    async with engine.connect() as slow:
        transaction = await slow.begin()
        await slow.execute(sa.insert(Event), [an_event()])  # takes an id, commits later
        await append(session_factory, 2)  # later ids, committed first
        first, position = await read_all(session_factory, FeedPosition())
        assert len(first) == 2 and len(position.gaps) == 1
        await transaction.commit()
    late, position = await read_all(session_factory, position)
    assert len(late) == 1 and late[0] < first[0]
    assert not position.gaps


@pytest.mark.skipif(POSTGRES_URL is None, reason="SQLite reuses the id of a rolled-back insert")
async def test_a_rolled_back_id_stops_being_awaited(
    engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    async with engine.connect() as aborted:
        transaction = await aborted.begin()
        await aborted.execute(sa.insert(Event), [an_event()])
        await append(session_factory, 1)
        await transaction.rollback()
    _, position = await read_all(session_factory, FeedPosition())
    assert len(position.gaps) == 1
    _, later = await read_all(
        session_factory, position, now_offset=GAP_PATIENCE + timedelta(seconds=1)
    )
    assert not later.gaps and later.after == position.after
