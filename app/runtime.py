"""The process-wide resources every entry point shares: settings, database, queue, clusters."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.kube import KubeGateway
from app.adapters.queue import JobQueue
from app.db import SessionFactory, create_session_factory
from app.keyring import Keyring
from app.services.event_nudges import RedisEventNudges
from app.settings import Settings
from app.supervision import Supervisor


class NoPublicUrl(RuntimeError):
    """This process was given no URL for checker pods to report to."""


@dataclass(slots=True)
class Runtime:
    """`engine` and `session_factory` serve monitoring (scheduler, pod watches, sweeps, jobs,
    reports); `api_engine` and `api_session_factory` serve API requests, so that no request can
    hold monitoring up. `loops` are this process's supervised loops."""

    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory
    queue: JobQueue
    redis: Redis
    redis_url: str
    keyring: Keyring
    kube: KubeGateway
    api_engine: AsyncEngine
    api_session_factory: SessionFactory
    loops: Supervisor
    # Wakes readers of the event log after a commit that appended to it.
    event_nudges: RedisEventNudges
    # The base URL checker pods report to, as the process's start-up settled it.
    public_url: str | None = None

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        redis_url: str,
        engine: AsyncEngine,
        keyring: Keyring,
        api_engine: AsyncEngine | None = None,
        public_url: str | None = None,
    ) -> Runtime:
        """The engines stay their creator's to dispose of. Without `api_engine`, API requests
        share monitoring's engine (tools and tests that serve no API)."""
        queue = await JobQueue.connect(redis_url)
        redis: Redis = Redis.from_url(redis_url)
        session_factory = create_session_factory(engine)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            queue=queue,
            redis=redis,
            redis_url=redis_url,
            keyring=keyring,
            kube=KubeGateway(keyring),
            api_engine=api_engine or engine,
            api_session_factory=(
                create_session_factory(api_engine) if api_engine else session_factory
            ),
            loops=Supervisor(
                stale_after=settings.loop_stale_after_seconds,
                max_backoff=settings.loop_max_backoff_seconds,
            ),
            event_nudges=RedisEventNudges(redis),
            public_url=public_url or settings.public_url,
        )

    def require_public_url(self) -> str:
        if self.public_url is None:
            raise NoPublicUrl("this process has no URL for checker pods to report to")
        return self.public_url

    async def close(self) -> None:
        await self.loops.stop_all()
        self.kube.close()
        await self.event_nudges.close()
        await self.redis.aclose()
        await self.queue.close()
