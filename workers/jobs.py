"""Job functions: thin, each takes the arq context (holding the Runtime) and calls services.

Every step is idempotent, so a job that fails (the database or Redis away for a while, say) is
logged and retried with backoff; a periodic job carries on past an item that fails."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from app.adapters.kube import ClusterClient, KubeError
from app.adapters.queue import Retry
from app.domain.manifest import PATROL_POD_SELECTOR
from app.logging import get_logger
from app.metrics import HOUSEKEEPING_PRUNED, PODS_REAPED, RECONCILE_FAILURES, RUNS_RECONCILED
from app.models import Cluster, Run, RunStatus
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.finalize import capture_pod, run_to_finalize, store_capture
from app.services.followups import enqueue_finalize, enqueue_launch
from app.services.housekeeping import prune_run_history
from app.services.launch import LaunchResult, launch
from app.services.lookups import all_clusters
from app.services.observe import decide_exited_without_report
from app.services.reconcile import pods_to_reap, runs_left_pending
from app.services.run_context import run_with_context

log = get_logger(__name__)
STILL_RUNNING_GRACE = timedelta(seconds=10)
# A run's job that keeps failing is given up after this many tries (about a minute of backoff);
# the finalize sweep, the reconciler or, at worst, the run's deadline take it from there.
JOB_ATTEMPTS = 10
T = TypeVar("T")


def runtime_of(ctx: dict[str, Any]) -> Runtime:
    runtime: Runtime = ctx["runtime"]
    return runtime


def backoff(ctx: dict[str, Any], *, cap: float = 10.0) -> float:
    return float(min(cap, 0.5 * 2 ** (int(ctx.get("job_try", 1)) - 1)))


def retried(
    job: Callable[[dict[str, Any], str], Awaitable[T]],
) -> Callable[[dict[str, Any], str], Awaitable[T]]:
    """A failing run job is logged with its run and retried with backoff instead of lost."""

    @functools.wraps(job)
    async def attempt(ctx: dict[str, Any], run_id: str) -> T:
        try:
            return await job(ctx, run_id)
        except Retry:
            raise
        except Exception as error:
            tries = int(ctx.get("job_try", 1))
            log.error(
                "job failed",
                job=job.__name__,
                run_id=run_id,
                job_try=tries,
                error=f"{type(error).__name__}: {error}",
                exc_info=error,
            )
            if tries < JOB_ATTEMPTS:
                raise Retry(defer=backoff(ctx)) from error
            raise

    return attempt


@retried
async def launch_run(ctx: dict[str, Any], run_id: str) -> str:
    retry_in = backoff(ctx)
    result = await launch(runtime_of(ctx), uuid.UUID(run_id), retry_in=retry_in)
    if result is LaunchResult.RETRY:
        raise Retry(defer=retry_in)
    return str(result.value)


@retried
async def check_exited_run(ctx: dict[str, Any], run_id: str) -> bool:
    runtime, run_uuid = runtime_of(ctx), uuid.UUID(run_id)
    async with runtime.session_factory() as session:
        loaded = await run_with_context(session, run_uuid)
    if loaded is None or loaded[0].status.is_terminal or loaded[0].pod_name is None:
        return False
    run, _, cluster = loaded
    assert run.pod_name is not None and run.pod_namespace is not None
    # No transaction stays open across a Kubernetes call (SQLite has one connection to share).
    pod = await runtime.kube.client(cluster).get_pod(run.pod_namespace, run.pod_name)
    async with runtime.session_factory() as session:
        decided = await decide_exited_without_report(session, run_uuid, pod, now=utcnow())
    if decided:
        await enqueue_finalize(runtime.queue, run_uuid)
    return decided


@retried
async def finalize_run(ctx: dict[str, Any], run_id: str) -> bool:
    runtime, run_uuid = runtime_of(ctx), uuid.UUID(run_id)
    async with runtime.session_factory() as session:
        target = await run_to_finalize(session, run_uuid)
    if target is None:
        return False
    run, cluster = target
    client: ClusterClient | None = None
    try:
        client = runtime.kube.client(cluster)
        pod, logs, events = await capture_pod(
            client, run, max_log_bytes=runtime.settings.run_log_max_bytes
        )
    except KubeError as error:
        if error.transient and int(ctx.get("job_try", 1)) < 5:
            raise Retry(defer=backoff(ctx)) from error
        log.warning(
            "capturing the pod failed; finalizing without it", run_id=run_id, error=str(error)
        )
        pod, logs, events = None, {}, []
    if _checker_still_exiting(run, pod):
        raise Retry(defer=0.5)
    async with runtime.session_factory() as session:
        stored = await store_capture(session, run, pod, logs, events)
    if stored and client is not None and run.pod_name and run.pod_namespace:
        try:
            await client.delete_pod(run.pod_namespace, run.pod_name)
        except KubeError as error:
            log.warning(
                "deleting the pod failed; the reaper will retry", run_id=run_id, error=str(error)
            )
    return stored


def _checker_still_exiting(run: Run, pod: dict[str, Any] | None) -> bool:
    """A checker that just reported usually exits a moment later; its last log lines come then."""
    phase = ((pod or {}).get("status") or {}).get("phase")
    return (
        run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
        and phase in ("Pending", "Running")
        and run.finished_at is not None
        and utcnow() - run.finished_at < STILL_RUNNING_GRACE
    )


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """Re-enqueue runs left pending and reap pods nobody needs, one run and one cluster at a
    time: an item that fails is logged and counted, and the rest carry on."""
    runtime, now = runtime_of(ctx), utcnow()
    async with runtime.session_factory() as session:
        pending = await runs_left_pending(session, now=now)
        clusters = await all_clusters(session)
    relaunched = reaped = failed = 0
    for run_id in pending:
        try:
            await enqueue_launch(runtime.queue, run_id)
            relaunched += 1
        except Exception as error:
            failed += 1
            RECONCILE_FAILURES.labels(step="relaunch").inc()
            log.error("re-enqueueing a launch failed", run_id=str(run_id), exc_info=error)
    for cluster in clusters:
        try:
            reaped += await _reap(runtime, cluster, now)
        except KubeError as error:
            failed += 1
            RECONCILE_FAILURES.labels(step="reap").inc()
            log.warning("reaping pods failed", cluster=cluster.name, error=str(error))
        except Exception as error:
            failed += 1
            RECONCILE_FAILURES.labels(step="reap").inc()
            log.error("reaping pods failed", cluster=cluster.name, exc_info=error)
    counts = {"relaunch": relaunched, "reaped": reaped}
    for action, count in counts.items():
        RUNS_RECONCILED.labels(action=action).inc(count)
    if any(counts.values()) or failed:
        log.info("reconciled", failed=failed, **counts)
    return {**counts, "failed": failed}


async def _reap(runtime: Runtime, cluster: Cluster, now: datetime) -> int:
    client = runtime.kube.client(cluster)
    pods, _ = await client.list_pods(PATROL_POD_SELECTOR)
    async with runtime.session_factory() as session:
        doomed = await pods_to_reap(session, pods, now=now)
    for pod in doomed:
        metadata = pod["metadata"]
        if await client.delete_pod(metadata["namespace"], metadata["name"]):
            PODS_REAPED.inc()
    return len(doomed)


async def housekeeping(ctx: dict[str, Any]) -> int:
    runtime = runtime_of(ctx)
    async with runtime.session_factory() as session:
        pruned = await prune_run_history(
            session, retention=timedelta(days=runtime.settings.run_retention_days)
        )
    HOUSEKEEPING_PRUNED.inc(pruned)
    log.info("housekeeping finished", pruned_runs=pruned)
    return pruned
