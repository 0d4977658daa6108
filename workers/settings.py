"""What a worker runs: the job functions and periodic jobs, bound to a Runtime."""

from __future__ import annotations

from app.adapters.queue import Worker, build_worker, every
from app.runtime import Runtime
from workers.jobs import housekeeping

FUNCTIONS = [housekeeping]
CRON_JOBS = [every(housekeeping, minutes=60)]


def create_worker(runtime: Runtime, *, burst: bool = False, handle_signals: bool = True) -> Worker:
    return build_worker(
        redis_url=runtime.redis_url,
        functions=FUNCTIONS,
        cron_jobs=[] if burst else CRON_JOBS,
        context={"runtime": runtime},
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=0.05 if burst else 0.5,
    )
