"""The scheduler: claims due slots and launches their runs here and now. Any number of
schedulers may run at once: claiming a slot is a compare-and-set."""

from __future__ import annotations

import asyncio
import uuid

from app.logging import get_logger
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.dispatch import schedule_changes
from app.services.followups import enqueue_launch
from app.services.launch import LaunchAttempt, LaunchResult, launch
from app.services.scheduling import claim_due_slots, due_slots, next_due_time
from app.supervision import LoopControl

log = get_logger(__name__)
SCHEDULER_BATCH = 200
MAX_SCHEDULER_SLEEP = 1.0


async def run_scheduler(runtime: Runtime, launches: Launches, control: LoopControl) -> None:
    async with schedule_changes(runtime.redis) as nudged:
        while True:
            async with control.stretch():
                claimed = await schedule_due_runs(runtime, launches)
                pause = await _seconds_until_next_due(runtime)
            control.beat()
            if claimed < SCHEDULER_BATCH:
                await nudged.wait(pause)


async def schedule_due_runs(runtime: Runtime, launches: Launches) -> int:
    """Claim every due slot and launch its run; returns how many slots were looked at."""
    async with runtime.session_factory() as session:
        slots = await due_slots(session, until=utcnow(), limit=SCHEDULER_BATCH)
        runs = await claim_due_slots(session, slots, now=utcnow(), nudges=runtime.event_nudges)
    for run in runs:
        launches.start(run.id, run.cluster_id)
    return len(slots)


class Launches:
    """Launches claimed runs right here, a bounded number at a time per cluster (a slow cluster
    fills only its own slots): no queue hop between a due time and its pod. A launch that needs a
    retry, or is lost with this process, goes through the job queue (the reconciler re-enqueues
    runs left pending)."""

    def __init__(self, runtime: Runtime, *, concurrency_per_cluster: int = 16) -> None:
        self._runtime = runtime
        self._concurrency = concurrency_per_cluster
        self._slots: dict[uuid.UUID, asyncio.Semaphore] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, run_id: uuid.UUID, cluster_id: uuid.UUID) -> None:
        slots = self._slots.setdefault(cluster_id, asyncio.Semaphore(self._concurrency))
        task = asyncio.create_task(self._launch(run_id, slots), name=f"launch:{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _launch(self, run_id: uuid.UUID, slots: asyncio.Semaphore) -> None:
        async with slots:
            try:
                attempt = await launch(self._runtime, run_id, retry_in=0)
            except Exception:
                log.exception("launch failed; handing it to the queue", run_id=str(run_id))
                attempt = LaunchAttempt(LaunchResult.RETRY)
            if attempt.result is LaunchResult.RETRY:
                try:
                    await enqueue_launch(self._runtime.queue, run_id, delay=attempt.retry_in)
                except Exception:
                    log.exception(
                        "handing a launch to the queue failed; the reconciler will",
                        run_id=str(run_id),
                    )

    async def drain(self, timeout: float) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


async def _seconds_until_next_due(runtime: Runtime) -> float:
    async with runtime.session_factory() as session:
        due = await next_due_time(session)
    if due is None:
        return MAX_SCHEDULER_SLEEP
    return min(MAX_SCHEDULER_SLEEP, max(0.0, (due - utcnow()).total_seconds()))
