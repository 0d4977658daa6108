"""Enqueueing the next step of a run, with job ids derived from the run so repeats collapse."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from app.adapters.queue import JobQueue
from app.domain.run_lifecycle import EXIT_GRACE, FINALIZE_DELAY
from app.job_names import CHECK_EXITED_RUN, FINALIZE_RUN, LAUNCH_RUN, run_job_id
from app.metrics import JOBS_ENQUEUED
from app.models.columns import utcnow

__all__ = ["FINALIZE_DELAY", "enqueue_exit_check", "enqueue_finalize", "enqueue_launch"]


async def _enqueue(
    queue: JobQueue, job: str, run_id: uuid.UUID, at: datetime | None, generation: int = 0
) -> None:
    job_id = run_job_id(job, run_id, generation)
    if await queue.enqueue(job, str(run_id), job_id=job_id, defer_until=at):
        JOBS_ENQUEUED.labels(job=job).inc()


async def enqueue_launch(queue: JobQueue, run_id: uuid.UUID, *, delay: float = 0.0) -> None:
    await _enqueue(
        queue, LAUNCH_RUN, run_id, utcnow() + timedelta(seconds=delay) if delay else None
    )


async def enqueue_exit_check(queue: JobQueue, run_id: uuid.UUID) -> None:
    await _enqueue(queue, CHECK_EXITED_RUN, run_id, utcnow() + EXIT_GRACE)


async def enqueue_finalize(queue: JobQueue, run_id: uuid.UUID, *, generation: int = 0) -> None:
    await _enqueue(queue, FINALIZE_RUN, run_id, None, generation)
