"""The process-wide resources every entry point shares: settings, database, queue, clusters."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.kube import KubeGateway
from app.adapters.queue import JobQueue
from app.db import SessionFactory, create_session_factory
from app.keyring import Keyring
from app.settings import Settings


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory
    queue: JobQueue
    redis: Redis
    redis_url: str
    keyring: Keyring
    kube: KubeGateway

    @classmethod
    async def open(
        cls, settings: Settings, *, redis_url: str, engine: AsyncEngine, keyring: Keyring
    ) -> Runtime:
        """The engine stays its creator's to dispose of."""
        queue = await JobQueue.connect(redis_url)
        redis: Redis = Redis.from_url(redis_url)
        return cls(
            settings,
            engine,
            create_session_factory(engine),
            queue,
            redis,
            redis_url,
            keyring,
            KubeGateway(keyring),
        )

    async def close(self) -> None:
        self.kube.close()
        await self.redis.aclose()
        await self.queue.close()
