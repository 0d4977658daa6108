"""What a worker runs: the job functions and periodic jobs, bound to a Runtime."""

from __future__ import annotations

from app.adapters.queue import CronJob, JobFunction, Worker, build_worker, every
from app.runtime import Runtime
from workers.jobs import (
    check_exited_run,
    finalize_run,
    housekeeping,
    launch_run,
    reconcile,
)

FUNCTIONS: list[JobFunction] = [
    launch_run,
    check_exited_run,
    finalize_run,
    reconcile,
    housekeeping,
]


def periodic_jobs(runtime: Runtime) -> list[CronJob]:
    return [
        every(reconcile, seconds=runtime.settings.reconcile_interval_seconds),
        every(housekeeping, minutes=60),
    ]


def create_worker(runtime: Runtime, *, burst: bool = False, handle_signals: bool = True) -> Worker:
    return build_worker(
        redis_url=runtime.redis_url,
        functions=FUNCTIONS,
        cron_jobs=[] if burst else periodic_jobs(runtime),
        context={"runtime": runtime},
        burst=burst,
        handle_signals=handle_signals,
        # Short polls keep scheduled launches within tens of milliseconds of their due time.
        poll_delay=0.02,
        max_jobs=100,
    )
