"""The job queue: the one module that imports arq (in maintenance mode; keep it swappable)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import default_queue_name
from arq.cron import CronJob, cron
from arq.worker import Retry, Worker, func

__all__ = [
    "CronJob",
    "JobFunction",
    "JobQueue",
    "Retry",
    "Worker",
    "build_worker",
    "every",
    "poll_jobs",
    "redis_settings",
    "stop_worker",
]

JobFunction = Callable[..., Awaitable[Any]]


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    return settings


class JobQueue:
    """Enqueue jobs by name; a job id makes the enqueue idempotent while the job or its result lives."""

    def __init__(self, pool: ArqRedis) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, url: str) -> JobQueue:
        return cls(await create_pool(redis_settings(url)))

    async def enqueue(
        self,
        function: str,
        *args: Any,
        job_id: str | None = None,
        defer_until: datetime | None = None,
    ) -> bool:
        """Returns False when a job with the same id is already queued, running or kept."""
        job = await self._pool.enqueue_job(
            function, *args, _job_id=job_id, _defer_until=defer_until
        )
        return job is not None

    async def queued_job_ids(self) -> list[str]:
        return [job.job_id for job in await self._pool.queued_jobs() if job.job_id]

    async def depth(self) -> int:
        """Jobs waiting in the queue (deferred ones included)."""
        return int(await self._pool.zcard(default_queue_name))

    async def ping(self) -> None:
        await self._pool.ping()

    async def close(self) -> None:
        await self._pool.aclose()


def every(
    function: JobFunction, *, seconds: int | None = None, minutes: int | None = None
) -> CronJob:
    """A periodic job; arq's cron de-duplicates one firing across any number of workers."""
    if seconds is not None:
        return cron(
            function,  # type: ignore[arg-type]
            second=set(range(0, 60, seconds)),
            run_at_startup=False,
            unique=True,
        )
    step = minutes or 60
    return cron(function, minute=set(range(0, 60, step)), second=0, unique=True)  # type: ignore[arg-type]


def build_worker(
    *,
    redis_url: str,
    functions: Sequence[JobFunction],
    cron_jobs: Sequence[CronJob] = (),
    context: dict[str, Any],
    burst: bool = False,
    handle_signals: bool = True,
    poll_delay: float = 0.5,
    max_jobs: int = 50,
    job_timeout: float = 300,
) -> Worker:
    return Worker(
        functions=[func(function) for function in functions],  # type: ignore[arg-type]
        cron_jobs=list(cron_jobs),
        redis_settings=redis_settings(redis_url),
        ctx=context,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=poll_delay,
        max_jobs=max_jobs,
        job_timeout=job_timeout,
        keep_result=60,
        max_tries=30,
        allow_abort_jobs=True,
    )


async def poll_jobs(worker: Worker, *, beat: Callable[[], None], interval: float) -> None:
    """Take and run jobs until cancelled, calling `beat` every `interval` seconds meanwhile.
    arq's own loop ends for good at the first Redis error (a restart, say): this raises it, so
    that the caller can log it and poll again once Redis is back."""
    polling = asyncio.ensure_future(worker.main())
    try:
        while True:
            done, _ = await asyncio.wait({polling}, timeout=interval)
            if done:
                polling.result()
                raise RuntimeError("the job worker stopped polling")
            beat()
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)


async def stop_worker(
    worker: Worker, stop_polling: Callable[[], Awaitable[None]], *, grace: float = 5.0
) -> None:
    """Stop taking jobs, let the ones in flight finish (up to `grace` seconds), then close."""
    await stop_polling()
    in_flight = [task for task in worker.tasks.values() if not task.done()]
    if in_flight:
        await asyncio.wait(in_flight, timeout=grace)
    # Whatever is still running now is cancelled; its job is retried by another worker.
    with contextlib.suppress(asyncio.CancelledError):
        await worker.close()
