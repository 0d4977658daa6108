"""Waking the readers of the event log (the API's live updates, the alert engine) after a commit
that appended to it. Only a nudge: they read the log itself, and poll it on a slow timer, so a
nudge that is lost delays them and loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractAsyncContextManager

from redis.asyncio import Redis

from app.adapters.broker import EVENTS_APPENDED, Nudges, nudges, publish
from app.logging import get_logger
from app.metrics import EVENT_NUDGES_LOST

log = get_logger(__name__)
# Publishing never holds anything up for longer than this; readers poll meanwhile.
PUBLISH_TIMEOUT_SECONDS = 2.0


class RedisEventNudges:
    """Publishes on EVENTS_APPENDED from a task of its own, so the use case that committed never
    waits for Redis (a report is answered, a watch moves on); nudges asked for while one is
    being published collapse into one more."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._wanted = False
        self._publishing: asyncio.Task[None] | None = None

    def events_appended(self) -> None:
        self._wanted = True
        if self._publishing is None or self._publishing.done():
            self._publishing = asyncio.get_running_loop().create_task(
                self._publish(), name="event-nudge"
            )

    async def _publish(self) -> None:
        while self._wanted:
            self._wanted = False
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    await publish(self._redis, EVENTS_APPENDED)
            except Exception as error:
                EVENT_NUDGES_LOST.inc()
                log.warning(
                    "nudging readers of the event log failed; they will find the events "
                    "when they next poll",
                    error=f"{type(error).__name__}: {error}",
                )

    async def close(self) -> None:
        """Let a nudge in flight go out before the Redis connection closes."""
        if self._publishing is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._publishing), PUBLISH_TIMEOUT_SECONDS)


class NoEventNudges:
    """For tools and tests without Redis: readers find the events when they poll."""

    def events_appended(self) -> None:
        return None


def event_log_changes(redis: Redis) -> AbstractAsyncContextManager[Nudges]:
    """Wake-ups for a reader of the event log: something was appended somewhere."""
    return nudges(redis, EVENTS_APPENDED)
