"""Redis pub/sub: nudges between processes. A lost message only delays; the database is the truth."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

SCHEDULES_CHANGED = "patrol:schedules-changed"
# Published after a commit that appended to the event log; readers then read the log itself.
EVENTS_APPENDED = "patrol:events-appended"


async def publish(redis: Redis, channel: str, message: str = "") -> None:
    await redis.publish(channel, message)


class Nudges:
    """Wait up to a timeout, or less if someone publishes on the channel."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def wait(self, timeout: float) -> bool:
        """True when nudged before the timeout."""
        try:
            message = await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=max(timeout, 0.0)
            )
        except (RedisError, OSError):
            await asyncio.sleep(timeout)
            return False
        if message is None:
            return False
        while await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
            pass  # several nudges mean the same thing as one
        return True


@contextlib.asynccontextmanager
async def nudges(redis: Redis, channel: str) -> AsyncIterator[Nudges]:
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        yield Nudges(pubsub)
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
