"""Enqueueing the next step of a run, with job ids derived from the run so repeats collapse."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from app.adapters.queue import JobQueue
from app.job_names import CHECK_EXITED_RUN, FINALIZE_RUN, LAUNCH_RUN, run_job_id
from app.metrics import JOBS_ENQUEUED
from app.models.columns import utcnow

# A decided checker usually exits a moment later: the finalize sweep gives it this long to flush
# its last log lines before handing the run over.
FINALIZE_DELAY = timedelta(seconds=1)
# A pod that ended may have a report in flight: wait this long before calling it unreported.
EXIT_GRACE = timedelta(seconds=3)


async def _enqueue(queue: JobQueue, job: str, run_id: uuid.UUID, at: datetime | None) -> None:
    if await queue.enqueue(job, str(run_id), job_id=run_job_id(job, run_id), defer_until=at):
        JOBS_ENQUEUED.labels(job=job).inc()


async def enqueue_launch(queue: JobQueue, run_id: uuid.UUID) -> None:
    await _enqueue(queue, LAUNCH_RUN, run_id, None)


async def enqueue_exit_check(queue: JobQueue, run_id: uuid.UUID) -> None:
    await _enqueue(queue, CHECK_EXITED_RUN, run_id, utcnow() + EXIT_GRACE)


async def enqueue_finalize(queue: JobQueue, run_id: uuid.UUID) -> None:
    await _enqueue(queue, FINALIZE_RUN, run_id, None)
