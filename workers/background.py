"""Loops a worker runs beside its jobs: the scheduler and one pod watch per cluster. Any number of
workers may run them at once: every decision they make goes through a compare-and-set."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from app.adapters.broker import SCHEDULES_CHANGED, nudges
from app.adapters.pod_watch import Changed, Relisted, watch_pods
from app.domain.manifest import PATROL_POD_SELECTOR
from app.domain.pod_state import pod_exit, pod_ip, pod_problem
from app.logging import get_logger
from app.models import Cluster
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.finalize import runs_awaiting_finalize
from app.services.followups import (
    FINALIZE_DELAY,
    enqueue_exit_check,
    enqueue_finalize,
    enqueue_launch,
)
from app.services.launch import LaunchResult, launch
from app.services.observe import Followup, observe_pod, run_id_of
from app.services.reconcile import next_deadline, time_out_overdue_runs
from app.services.scheduling import claim_due_slots, due_slots, next_due_time

log = get_logger(__name__)
SCHEDULER_BATCH = 200
MAX_SCHEDULER_SLEEP = 1.0
CLUSTER_REFRESH_SECONDS = 10.0
SWEEP_INTERVAL = 0.5
SWEEP_BATCH = 500


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


async def run_scheduler(runtime: Runtime, guard: Guarded, launches: Launches) -> None:
    async with nudges(runtime.redis, SCHEDULES_CHANGED) as nudged:
        while True:
            try:
                async with guard.stretch():
                    claimed = await schedule_due_runs(runtime, launches)
                    pause = await _seconds_until_next_due(runtime)
                if claimed < SCHEDULER_BATCH:
                    await nudged.wait(pause)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler pass failed; retrying")
                await asyncio.sleep(MAX_SCHEDULER_SLEEP)


async def schedule_due_runs(runtime: Runtime, launches: Launches) -> int:
    """Claim every due slot and launch its run; returns how many slots were looked at."""
    async with runtime.session_factory() as session:
        slots = await due_slots(session, until=utcnow(), limit=SCHEDULER_BATCH)
        runs = await claim_due_slots(session, slots, now=utcnow())
    for run in runs:
        launches.start(run.id)
    return len(slots)


class Launches:
    """Launches claimed runs right here, a bounded number at a time: no queue hop between a due
    time and its pod. A launch that needs a retry, or is lost with this process, goes through the
    job queue (the reconciler re-enqueues runs left pending)."""

    def __init__(self, runtime: Runtime, *, concurrency: int = 32) -> None:
        self._runtime = runtime
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, run_id: uuid.UUID) -> None:
        task = asyncio.create_task(self._launch(run_id), name=f"launch:{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _launch(self, run_id: uuid.UUID) -> None:
        async with self._slots:
            try:
                result = await launch(self._runtime, run_id, retry_in=0)
            except Exception:
                log.exception("launch failed; handing it to the queue", run_id=str(run_id))
                result = LaunchResult.RETRY
            if result is LaunchResult.RETRY:
                await enqueue_launch(self._runtime.queue, run_id)

    async def drain(self, timeout: float) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


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


@dataclass(slots=True)
class PodMemo:
    """What this watch already told the database about a pod, so repeats cost nothing."""

    ip_recorded: bool = False
    exit_seen: bool = False
    decided: bool = False


async def watch_cluster(runtime: Runtime, cluster: Cluster, guard: Guarded) -> None:
    client = runtime.kube.client(cluster)
    memos: dict[uuid.UUID, PodMemo] = {}
    async for change in watch_pods(client, PATROL_POD_SELECTOR):
        try:
            async with guard.stretch():
                if isinstance(change, Relisted):
                    memos.clear()
                    for pod in change.pods:
                        await _observe(runtime, memos, "ADDED", pod)
                elif isinstance(change, Changed):
                    await _observe(runtime, memos, change.type, change.pod)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("observing a pod failed", cluster=cluster.name)


async def _observe(
    runtime: Runtime, memos: dict[uuid.UUID, PodMemo], event_type: str, pod: dict[str, Any]
) -> None:
    run_id = run_id_of(pod)
    if run_id is None:
        return
    memo = (
        memos.pop(run_id, PodMemo())
        if event_type == "DELETED"
        else memos.setdefault(run_id, PodMemo())
    )
    if event_type != "DELETED" and (memo.decided or _nothing_new(memo, pod)):
        return
    async with runtime.session_factory() as session:
        followup = await observe_pod(
            session, run_id, event_type, pod, now=utcnow(), ip_recorded=memo.ip_recorded
        )
    memo.ip_recorded = memo.ip_recorded or pod_ip(pod) is not None
    if followup is Followup.FINALIZE:
        memo.decided = True
        await enqueue_finalize(runtime.queue, run_id)
    elif followup is Followup.CHECK_EXIT:
        memo.exit_seen = True
        await enqueue_exit_check(runtime.queue, run_id)


def _nothing_new(memo: PodMemo, pod: dict[str, Any]) -> bool:
    if pod_problem(pod) is not None:
        return False
    return (memo.ip_recorded or pod_ip(pod) is None) and (memo.exit_seen or pod_exit(pod) is None)


async def run_deadline_sweep(runtime: Runtime, guard: Guarded) -> None:
    """Time out runs the moment their deadline passes: one query per wake-up, however many runs
    are in flight, and nothing kept in Redis that a restart could lose."""
    while True:
        try:
            async with guard.stretch():
                async with runtime.session_factory() as session:
                    expired = await time_out_overdue_runs(session, now=utcnow())
                    upcoming = await next_deadline(session)
                for run_id in expired:
                    log.info("run timed out", run_id=str(run_id))
                    await enqueue_finalize(runtime.queue, run_id)
            pause = MAX_SCHEDULER_SLEEP
            if upcoming is not None:
                pause = min(pause, max(0.0, (upcoming - utcnow()).total_seconds()) + 0.001)
            await asyncio.sleep(pause)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deadline sweep failed; retrying")
            await asyncio.sleep(MAX_SCHEDULER_SLEEP)


async def run_finalize_sweep(runtime: Runtime, guard: Guarded) -> None:
    """Hand every decided, unfinalized run to a finalize job: reports only write the database,
    and a lost job is found again here. Job ids make the repeats free."""
    while True:
        try:
            async with guard.stretch():
                async with runtime.session_factory() as session:
                    run_ids = await runs_awaiting_finalize(
                        session, decided_before=utcnow() - FINALIZE_DELAY, limit=SWEEP_BATCH
                    )
                for run_id in run_ids:
                    await enqueue_finalize(runtime.queue, run_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("finalize sweep failed; retrying")
        await asyncio.sleep(SWEEP_INTERVAL)


@contextlib.asynccontextmanager
async def background_loops(runtime: Runtime) -> AsyncIterator[None]:
    scheduler_guard, launches = Guarded(), Launches(runtime)
    scheduler = asyncio.create_task(
        run_scheduler(runtime, scheduler_guard, launches), name="scheduler"
    )
    watchers = asyncio.create_task(run_pod_watchers(runtime), name="pod-watchers")
    sweep_guard, deadline_guard = Guarded(), Guarded()
    sweep = asyncio.create_task(run_finalize_sweep(runtime, sweep_guard), name="finalize-sweep")
    deadlines = asyncio.create_task(
        run_deadline_sweep(runtime, deadline_guard), name="deadline-sweep"
    )
    try:
        yield
    finally:
        await deadline_guard.stop(deadlines)
        await sweep_guard.stop(sweep)
        await scheduler_guard.stop(scheduler)
        await launches.drain(timeout=5)
        watchers.cancel()  # it stops each watch through its guard
        await asyncio.gather(watchers, return_exceptions=True)
