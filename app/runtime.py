"""The process-wide resources every entry point shares: settings, database, job queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.queue import JobQueue
from app.db import SessionFactory, create_engine, create_session_factory
from app.settings import Settings


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory
    queue: JobQueue
    redis_url: str

    @classmethod
    async def open(
        cls, settings: Settings, *, redis_url: str, engine: AsyncEngine | None = None
    ) -> Runtime:
        engine = engine or create_engine(settings.resolved_database_url)
        queue = await JobQueue.connect(redis_url)
        return cls(settings, engine, create_session_factory(engine), queue, redis_url)

    async def close(self) -> None:
        await self.queue.close()
        await self.engine.dispose()
