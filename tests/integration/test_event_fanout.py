"""The fan-out of the event log on a real database and Redis: one Redis subscription per
process, woken by nudges, polling when they are lost; what PostgreSQL commits late still
reaches live subscribers and those that resume from a position handed out before it appeared."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.broker import EVENTS_APPENDED, publish
from app.db import SessionFactory
from app.domain.feed_position import FeedPosition
from app.models import Event, EventKind
from app.models.columns import utcnow
from app.services.event_fanout import EventFanout, EventSelector
from tests.fixtures.database import POSTGRES_URL

EVERYTHING = EventSelector(kinds=frozenset(EventKind))


def an_event() -> dict[str, Any]:
    return {"at": utcnow(), "kind": EventKind.RUN_CREATED, "check_id": uuid.uuid4(), "payload": {}}


async def append(session_factory: SessionFactory, count: int) -> None:
    async with session_factory.begin() as session:
        await session.exec(sa.insert(Event), params=[an_event() for _ in range(count)])


async def registered(live: EventFanout, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 5
    while live.subscriptions < count:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


@pytest.mark.skipif(
    POSTGRES_URL is None,
    reason="SQLite has one writer at a time: its events always become visible in id order",
)
async def test_an_event_committed_late_reaches_live_and_resuming_subscribers(
    engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    live = EventFanout(session_factory, queue_size=100, poll_interval=60)
    await live.catch_up()
    follower = live.follow(EVERYTHING)
    first = asyncio.ensure_future(anext(follower))
    await registered(live, 1)
    async with engine.connect() as slow:
        transaction = await slow.begin()
        await slow.execute(sa.insert(Event), [an_event()])  # takes an id, commits later
        await append(session_factory, 1)
        await live.catch_up()
        early = await first
        # A client that resumes from here, while the late event is not yet visible.
        impatient = live.follow(EVERYTHING, after=FeedPosition.decode(early.cursor))
        waiting = asyncio.ensure_future(anext(impatient))
        await registered(live, 2)
        await transaction.commit()
    await live.catch_up()
    late = await anext(follower)
    assert late.event.id < early.event.id
    assert (await waiting).event.id == late.event.id

    # One that resumes from the earlier position afterwards is replayed the late event.
    resumed = live.follow(EVERYTHING, after=FeedPosition.decode(early.cursor))
    assert (await anext(resumed)).event.id == late.event.id
    for generator in (follower, impatient, resumed):
        await generator.aclose()
    assert live.subscriptions == 0


async def test_one_redis_subscription_serves_every_subscriber_and_a_nudge_wakes_it(
    session_factory: SessionFactory, redis: Redis
) -> None:
    live = EventFanout(session_factory, queue_size=100, poll_interval=60)
    listening = asyncio.create_task(live.listen(redis, lambda: None))
    try:
        followers = [live.follow(EVERYTHING) for _ in range(3)]
        firsts = [asyncio.ensure_future(anext(follower)) for follower in followers]
        await registered(live, 3)
        if not os.environ.get("PATROL_TEST_REDIS_URL"):  # a shared server has other listeners
            assert dict(await redis.pubsub_numsub(EVENTS_APPENDED)) == {EVENTS_APPENDED.encode(): 1}
        await append(session_factory, 1)
        await publish(redis, EVENTS_APPENDED)
        done, _ = await asyncio.wait(firsts, timeout=10)  # the poll is a minute away
        assert len(done) == 3
        for follower in followers:
            await follower.aclose()
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)


async def test_without_a_nudge_the_listener_finds_events_when_it_polls(
    session_factory: SessionFactory, redis: Redis
) -> None:
    live = EventFanout(session_factory, queue_size=100, poll_interval=0.2)
    listening = asyncio.create_task(live.listen(redis, lambda: None))
    try:
        follower = live.follow(EVERYTHING)
        first = asyncio.ensure_future(anext(follower))
        await registered(live, 1)
        await append(session_factory, 1)  # and no nudge: it was lost
        assert (await asyncio.wait_for(first, 10)).event.kind is EventKind.RUN_CREATED
        await follower.aclose()
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
