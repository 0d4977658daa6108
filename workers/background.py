"""Loops a worker runs beside its jobs: the scheduler and one pod watch per cluster. Any number of
workers may run them at once: every decision they make goes through a compare-and-set."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlmodel import select

from app.adapters.broker import SCHEDULES_CHANGED, nudges
from app.adapters.pod_watch import Changed, Relisted, watch_pods
from app.domain.manifest import PATROL_POD_SELECTOR
from app.logging import get_logger
from app.models import Cluster
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.followups import enqueue_exit_check, enqueue_finalize, enqueue_launch
from app.services.observe import Followup, observe_pod, run_id_of
from app.services.scheduling import claim_slot, due_slots, next_due_time

log = get_logger(__name__)
SCHEDULER_BATCH = 200
MAX_SCHEDULER_SLEEP = 1.0
CLUSTER_REFRESH_SECONDS = 10.0


class Guarded:
    """A loop marks the stretches a stop must not cut in half (a claim and its enqueue, say);
    `stop` waits for the current stretch, then cancels the loop where it waits."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def stretch(self) -> AsyncIterator[None]:
        async with self._lock:
            yield

    async def stop(self, task: asyncio.Task[Any]) -> None:
        async with self._lock:
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def run_scheduler(runtime: Runtime, guard: Guarded) -> None:
    async with nudges(runtime.redis, SCHEDULES_CHANGED) as nudged:
        while True:
            try:
                async with guard.stretch():
                    claimed = await schedule_due_runs(runtime)
                    pause = await _seconds_until_next_due(runtime)
                if claimed < SCHEDULER_BATCH:
                    await nudged.wait(pause)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler pass failed; retrying")
                await asyncio.sleep(MAX_SCHEDULER_SLEEP)


async def schedule_due_runs(runtime: Runtime) -> int:
    """Claim every due slot and enqueue its launch; returns how many slots were looked at."""
    async with runtime.session_factory() as session:
        slots = await due_slots(session, until=utcnow(), limit=SCHEDULER_BATCH)
    for slot in slots:
        async with runtime.session_factory() as session:
            run = await claim_slot(session, slot, now=utcnow())
        if run is not None:
            await enqueue_launch(runtime.queue, run.id)
    return len(slots)


async def _seconds_until_next_due(runtime: Runtime) -> float:
    async with runtime.session_factory() as session:
        due = await next_due_time(session)
    if due is None:
        return MAX_SCHEDULER_SLEEP
    return min(MAX_SCHEDULER_SLEEP, max(0.0, (due - utcnow()).total_seconds()))


async def run_pod_watchers(runtime: Runtime) -> None:
    """Keep one watch per registered cluster, starting and stopping them as clusters come and go."""
    watchers: dict[uuid.UUID, tuple[Any, asyncio.Task[None], Guarded]] = {}
    try:
        while True:
            async with runtime.session_factory() as session:
                clusters = {
                    cluster.id: cluster for cluster in (await session.exec(select(Cluster))).all()
                }
            for cluster_id in list(watchers):
                version, task, guard = watchers[cluster_id]
                current = clusters.get(cluster_id)
                if current is None or current.updated_at != version or task.done():
                    await guard.stop(task)
                    del watchers[cluster_id]
            for cluster_id, cluster in clusters.items():
                if cluster_id not in watchers:
                    guard = Guarded()
                    task = asyncio.create_task(
                        watch_cluster(runtime, cluster, guard), name=f"watch:{cluster.name}"
                    )
                    watchers[cluster_id] = (cluster.updated_at, task, guard)
            await asyncio.sleep(CLUSTER_REFRESH_SECONDS)
    finally:
        for _, task, guard in watchers.values():
            await guard.stop(task)


async def watch_cluster(runtime: Runtime, cluster: Cluster, guard: Guarded) -> None:
    client = runtime.kube.client(cluster)
    async for change in watch_pods(client, PATROL_POD_SELECTOR):
        try:
            async with guard.stretch():
                if isinstance(change, Relisted):
                    for pod in change.pods:
                        await _observe(runtime, "ADDED", pod)
                elif isinstance(change, Changed):
                    await _observe(runtime, change.type, change.pod)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("observing a pod failed", cluster=cluster.name)


async def _observe(runtime: Runtime, event_type: str, pod: dict[str, Any]) -> None:
    run_id = run_id_of(pod)
    if run_id is None:
        return
    async with runtime.session_factory() as session:
        followup = await observe_pod(session, run_id, event_type, pod, now=utcnow())
    if followup is Followup.FINALIZE:
        await enqueue_finalize(runtime.queue, run_id, now=True)
    elif followup is Followup.CHECK_EXIT:
        await enqueue_exit_check(runtime.queue, run_id)


@contextlib.asynccontextmanager
async def background_loops(runtime: Runtime) -> AsyncIterator[None]:
    scheduler_guard = Guarded()
    scheduler = asyncio.create_task(run_scheduler(runtime, scheduler_guard), name="scheduler")
    watchers = asyncio.create_task(run_pod_watchers(runtime), name="pod-watchers")
    try:
        yield
    finally:
        await scheduler_guard.stop(scheduler)
        watchers.cancel()  # it stops each watch through its guard
        await asyncio.gather(watchers, return_exceptions=True)
