"""What a use case sets in motion after its transaction commits: launching runs, waking schedulers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from app.adapters.broker import SCHEDULES_CHANGED, Nudges, nudges, publish
from app.adapters.queue import JobQueue
from app.services.followups import enqueue_launch
from app.services.ports import EventNudges


class Dispatcher(Protocol):
    async def schedules_changed(self) -> None: ...

    async def checks_changed(self) -> None:
        """After checks were created, edited or deleted: their changes are logged as events,
        and their schedules may have moved."""

    async def runs_created(self, run_ids: Sequence[uuid.UUID]) -> None: ...

    def events_appended(self) -> None: ...


@dataclass(frozen=True, slots=True)
class QueueDispatcher:
    queue: JobQueue
    redis: Redis
    nudges: EventNudges

    async def schedules_changed(self) -> None:
        # Only a nudge: schedulers re-read due times within a second anyway.
        await publish(self.redis, SCHEDULES_CHANGED)

    async def checks_changed(self) -> None:
        self.events_appended()
        await self.schedules_changed()

    async def runs_created(self, run_ids: Sequence[uuid.UUID]) -> None:
        for run_id in run_ids:
            await enqueue_launch(self.queue, run_id)

    def events_appended(self) -> None:
        self.nudges.events_appended()


class DatabaseOnly:
    """For callers without a queue (schema tests): runs stay pending until a reconciler sees them."""

    async def schedules_changed(self) -> None:
        return None

    async def checks_changed(self) -> None:
        return None

    async def runs_created(self, run_ids: Sequence[uuid.UUID]) -> None:
        return None

    def events_appended(self) -> None:
        return None


def schedule_changes(redis: Redis) -> AbstractAsyncContextManager[Nudges]:
    """Wake-ups for schedulers: a check's schedule changed somewhere (a nudge; lost ones only
    delay, schedulers re-read due times every second anyway)."""
    return nudges(redis, SCHEDULES_CHANGED)
