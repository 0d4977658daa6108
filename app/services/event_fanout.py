"""Live updates: one reader of the event log per API process, fanned out in memory to every
subscription the process serves.

The listener follows the log (app/services/event_feed.py), woken by EVENTS_APPENDED nudges and
polling on a slow timer besides, and offers each event to every subscription; a subscription
keeps what it selects in a bounded queue. One whose client falls that far behind is dropped with
the position to resume from, and holds nobody else up. Every update carries a position (an
opaque string): a subscription that starts from one is first replayed, from the log, what it
missed, then goes live, with no gap and no duplicate.

What each subscriber has seen is a set of event ids: the listener's position after an event,
merged with the one the subscriber resumed from while the listener has not yet seen all that one
has (app/domain/feed_position.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from redis.asyncio import Redis
from sqlalchemy import ColumnElement
from sqlmodel import col

from app.db import SessionFactory
from app.domain.feed_position import MAX_GAPS, FeedPosition, MalformedPosition
from app.errors import InvalidInput, SubscriberTooSlow
from app.logging import get_logger
from app.metrics import LIVE_EVENTS_READ, LIVE_SUBSCRIBERS, LIVE_SUBSCRIBERS_DROPPED
from app.models import Event, EventKind
from app.models.columns import utcnow
from app.services.event_feed import PAGE_SIZE, latest_position, read_events, read_missed
from app.services.event_nudges import event_log_changes

log = get_logger(__name__)
T = TypeVar("T")
# A position string longer than this is none that Patrol handed out (MAX_GAPS holes fit).
MAX_POSITION_CHARS = 64 * 1024


@dataclass(frozen=True, slots=True, eq=False)
class LoggedEvent:
    """An event as read from the log, shared by every subscription it is offered to."""

    id: int
    kind: EventKind
    at: datetime
    # None for events about a cluster itself (its health), not one of its checks.
    check_id: uuid.UUID | None
    cluster_id: uuid.UUID | None
    run_id: uuid.UUID | None
    payload: Mapping[str, Any]
    _views: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, row: Event) -> LoggedEvent:
        assert row.id is not None
        return cls(
            id=row.id,
            kind=EventKind(row.kind),
            at=row.at,
            check_id=row.check_id,
            cluster_id=row.cluster_id,
            run_id=row.run_id,
            payload=row.payload,
        )

    def view(self, interpret: Callable[[LoggedEvent], T]) -> T:
        """`interpret(self)`, worked out once however many subscriptions ask for it."""
        return self.shared(interpret, lambda: interpret(self))

    def shared(self, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` makes of this event, made once per key and then shared."""
        try:
            value: T = self._views[key]
        except KeyError:
            value = self._views[key] = make()
        return value


@dataclass(frozen=True, slots=True)
class Update:
    """An event as one subscription gets it: `cursor` is where to resume after it."""

    event: LoggedEvent
    cursor: str


@dataclass(frozen=True, slots=True)
class EventSelector:
    """Which events a subscription wants: the columns narrow replays in SQL as well, `refine`
    looks into the event itself."""

    kinds: frozenset[EventKind]
    check_id: uuid.UUID | None = None
    cluster_id: uuid.UUID | None = None
    refine: Callable[[LoggedEvent], bool] | None = None

    def matches(self, event: LoggedEvent) -> bool:
        return (
            event.kind in self.kinds
            and (self.check_id is None or event.check_id == self.check_id)
            and (self.cluster_id is None or event.cluster_id == self.cluster_id)
            and (self.refine is None or self.refine(event))
        )

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [col(Event.kind).in_(sorted(self.kinds))]
        if self.check_id is not None:
            conditions.append(col(Event.check_id) == self.check_id)
        if self.cluster_id is not None:
            conditions.append(col(Event.cluster_id) == self.cluster_id)
        return conditions


def parse_position(text: str, *, field: str = "after") -> FeedPosition:
    """A position a client sent back (an update's cursor), or BAD_USER_INPUT."""
    try:
        if len(text) > MAX_POSITION_CHARS:
            raise MalformedPosition("too long")
        position = FeedPosition.decode(text)
        if len(position.gaps) > MAX_GAPS:
            raise MalformedPosition("too many holes")
    except MalformedPosition:
        raise InvalidInput(
            f"{field}: not a position Patrol handed out (pass an update's eventId)", field=field
        ) from None
    return position


class _Subscriber:
    """One subscription's side of the fan-out: what it selects, and its bounded queue."""

    __slots__ = ("capacity", "dropped", "queue", "resume", "selector", "wakeup")

    def __init__(self, selector: EventSelector, capacity: int, resume: FeedPosition | None) -> None:
        self.selector = selector
        self.capacity = capacity
        self.queue: deque[Update] = deque()
        self.wakeup = asyncio.Event()
        self.dropped = False
        # The position it resumed from, while the listener has not yet seen all that it has.
        self.resume = resume

    def offer(self, event: LoggedEvent, position: FeedPosition, cursor: str) -> bool:
        """Queue the event if selected and not seen yet; False when the queue is full."""
        resume = self.resume
        if resume is not None:
            seen = resume.has_seen(event.id)
            if position.covers(resume):
                self.resume = resume = None
            if seen:
                return True
        if not self.selector.matches(event):
            return True
        if len(self.queue) >= self.capacity:
            return False
        if resume is not None:
            cursor = resume.merged(position).encode()
        self.queue.append(Update(event, cursor))
        self.wakeup.set()
        return True


class EventFanout:
    """The event log, followed once per process and fanned out to its subscriptions."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        queue_size: int,
        poll_interval: float,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._session_factory = session_factory
        self._queue_size = queue_size
        self._poll_interval = poll_interval
        # A page never fills more than half a queue: a subscription that keeps up drains it
        # while the next page is read.
        self._page_size = max(1, min(page_size, queue_size // 2))
        self._subscribers: set[_Subscriber] = set()
        self._position: FeedPosition | None = None
        self._ready = asyncio.Event()

    @property
    def subscriptions(self) -> int:
        return len(self._subscribers)

    async def position(self) -> FeedPosition:
        """Where the process stands in the log now: `follow(after=...)` it to miss nothing from
        this moment on, whenever the subscription starts."""
        await self._ready.wait()
        assert self._position is not None
        return self._position

    async def listen(self, redis: Redis, beat: Callable[[], None]) -> None:
        """The listener (a supervised loop): one Redis subscription for the whole process.
        Subscribed before each read, so a nudge sent while reading is not missed."""
        async with event_log_changes(redis) as nudged:
            while True:
                await self.catch_up()
                beat()
                await nudged.wait(self._poll_interval)

    async def catch_up(self) -> None:
        """Read what was appended since the last pass and offer it to every subscription.
        The first pass starts after what is logged already."""
        if self._position is None:
            async with self._session_factory() as session:
                self._position = await latest_position(session)
            self._ready.set()
        while True:
            now = utcnow()
            async with self._session_factory() as session:
                page = await read_events(session, self._position, now=now, limit=self._page_size)
            self._fan_out(page.events, now)
            if not page.more:
                return
            await asyncio.sleep(0)  # subscriptions drain their queues between pages

    def _fan_out(self, rows: Sequence[Event], now: datetime) -> None:
        """Synchronous, so a subscription that registers sees either all of a page or none."""
        assert self._position is not None
        position = self._position
        for row in rows:
            assert row.id is not None
            position = position.read([row.id], now=now)
            event, cursor = LoggedEvent.of(row), position.encode()
            full = [s for s in self._subscribers if not s.offer(event, position, cursor)]
            for subscriber in full:
                self._drop(subscriber)
        LIVE_EVENTS_READ.inc(len(rows))
        self._position = position if rows else position.read([], now=now)

    async def follow(
        self, selector: EventSelector, *, after: FeedPosition | None = None
    ) -> AsyncGenerator[Update, None]:
        """The selected events from now on, or after `after` (an update's position): what the
        log holds first, then live. Raises SubscriberTooSlow once the queue overflowed (after
        what was delivered before it did)."""
        await self._ready.wait()
        if after is not None and self._position is not None and after.after > self._position.after:
            await self._refuse_if_ahead_of_the_log(after)
        start = self._position
        assert start is not None
        resume = None if after is None or start.covers(after) else after
        subscriber = _Subscriber(selector, self._queue_size, resume)
        self._subscribers.add(subscriber)
        LIVE_SUBSCRIBERS.inc()
        last_cursor = (after or start).encode()
        try:
            if after is not None:
                async for update in self._replay(selector, after, start):
                    if subscriber.dropped:
                        break
                    last_cursor = update.cursor
                    yield update
            while True:
                while subscriber.queue:
                    update = subscriber.queue.popleft()
                    last_cursor = update.cursor
                    yield update
                if subscriber.dropped:
                    raise SubscriberTooSlow(
                        f"too slow: this subscription fell more than {self._queue_size} "
                        "updates behind and was ended; subscribe again with "
                        f'after: "{last_cursor}" to get what it missed',
                        after=last_cursor,
                    )
                subscriber.wakeup.clear()
                await subscriber.wakeup.wait()
        finally:
            self._remove(subscriber)

    async def _refuse_if_ahead_of_the_log(self, after: FeedPosition) -> None:
        """Another process may have read further than this one; nobody beyond the log. A
        position from before the database was replaced would otherwise silence a subscription
        until the log caught up with it."""
        async with self._session_factory() as session:
            latest = await latest_position(session)
        if after.after > latest.after:
            raise InvalidInput(
                "after: this position is ahead of the event log (was the database replaced?); "
                "subscribe without it",
                field="after",
            )

    async def _replay(
        self, selector: EventSelector, since: FeedPosition, until: FeedPosition
    ) -> AsyncIterator[Update]:
        """What a reader at `since` missed that the listener had read when it subscribed."""
        conditions = selector.conditions()
        last = 0
        while True:
            async with self._session_factory() as session:
                rows = await read_missed(
                    session, since, until, after_id=last, where=conditions, limit=self._page_size
                )
            for row in rows:
                event = LoggedEvent.of(row)
                if selector.matches(event):
                    yield Update(event, since.merged(until.up_to(event.id)).encode())
            if len(rows) < self._page_size:
                return
            last = rows[-1].id or last

    def _drop(self, subscriber: _Subscriber) -> None:
        self._remove(subscriber)
        subscriber.dropped = True
        subscriber.queue.clear()
        subscriber.wakeup.set()
        LIVE_SUBSCRIBERS_DROPPED.inc()
        log.info("subscription dropped: its client fell behind", queue_size=self._queue_size)

    def _remove(self, subscriber: _Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.discard(subscriber)
            LIVE_SUBSCRIBERS.dec()
