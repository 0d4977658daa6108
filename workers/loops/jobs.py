"""The job loop (`jobs`): taking jobs from the queue and running them, supervised like every other
loop. A Redis restart ends the queue library's own loop with a connection error, for good and
without a word: here that is logged, and jobs are taken again once Redis answers."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator

from app.adapters.queue import Worker, poll_jobs, stop_worker
from app.runtime import Runtime
from app.supervision import LoopControl
from workers.settings import create_worker

JOBS = "jobs"


async def run_jobs(worker: Worker, control: LoopControl) -> None:
    await poll_jobs(worker, beat=control.beat, interval=control.quiet_interval)


@contextlib.asynccontextmanager
async def job_worker(runtime: Runtime) -> AsyncIterator[Worker]:
    """Runs jobs on `runtime` until the context ends, then lets the jobs in flight finish."""
    worker = create_worker(runtime, handle_signals=False)
    runtime.loops.start(JOBS, functools.partial(run_jobs, worker))
    try:
        yield worker
    finally:
        await stop_worker(worker, functools.partial(runtime.loops.stop, JOBS))
