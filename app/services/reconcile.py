"""Repairing what lost jobs, dead workers or outside hands left behind, from the database alone."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.kube import KubeError
from app.domain.manifest import PATROL_POD_SELECTOR
from app.domain.run_lifecycle import DEADLINE, PENDING_GRACE, REAP_AFTER_DEADLINE, timed_out
from app.logging import get_logger
from app.metrics import PODS_REAPED, RECONCILE_FAILURES, RUNS_RECONCILED
from app.models import Check, Cluster, Run, RunStatus
from app.services import run_state
from app.services.followups import enqueue_launch
from app.services.lookups import all_clusters, namespaces_in_use
from app.services.observe import run_id_of
from app.services.ports import EventNudges, Execution

log = get_logger(__name__)


async def time_out_overdue_runs(
    session: AsyncSession, *, now: datetime, nudges: EventNudges, limit: int = 500
) -> list[uuid.UUID]:
    """Decide `timed_out` for every running run whose deadline has passed with no report.
    A use case: it commits."""
    overdue = await session.exec(
        select(Run.id, Check.namespace, Check.name)
        .join(Check, col(Check.id) == col(Run.check_id))
        .where(col(Run.status) == RunStatus.RUNNING, col(Run.deadline_at) < now)
        .limit(limit)
    )
    decisions = [(run_id, timed_out(namespace, name)) for run_id, namespace, name in overdue.all()]
    decided = await run_state.decide(session, decisions, DEADLINE, now=now)
    await session.commit()
    if decided:
        nudges.events_appended()
    run_state.announce(decided)
    return [run.run_id for run in decided]


async def next_deadline(session: AsyncSession) -> datetime | None:
    result = await session.exec(
        select(sa.func.min(Run.deadline_at)).where(col(Run.status) == RunStatus.RUNNING)
    )
    value: datetime | None = result.one()
    return value


async def runs_left_pending(
    session: AsyncSession, *, now: datetime, limit: int = 500
) -> list[uuid.UUID]:
    """Runs created but never launched (their launch was lost with a process or with Redis)."""
    return list(
        (
            await session.exec(
                select(Run.id)
                .where(Run.status == RunStatus.PENDING, Run.created_at < now - PENDING_GRACE)
                .limit(limit)
            )
        ).all()
    )


async def pods_to_reap(
    session: AsyncSession, pods: list[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """Patrol pods that no undecided-or-unfinalized run needs: run unknown, finalized, or far past
    its deadline."""
    by_run = {run_id: pod for pod in pods if (run_id := run_id_of(pod)) is not None}
    orphans = [pod for pod in pods if run_id_of(pod) is None]
    if not by_run:
        return orphans
    rows = await session.exec(
        select(Run.id, Run.finalized_at, Run.deadline_at).where(Run.id.in_(list(by_run)))  # type: ignore[attr-defined]
    )
    known = {run_id: (finalized, deadline) for run_id, finalized, deadline in rows.all()}
    reap = list(orphans)
    for run_id, pod in by_run.items():
        if run_id not in known:
            reap.append(pod)
            continue
        finalized, deadline = known[run_id]
        if finalized is not None or (deadline is not None and deadline < now - REAP_AFTER_DEADLINE):
            reap.append(pod)
    return reap


@dataclass(frozen=True, slots=True)
class Reconciled:
    relaunched: int
    reaped: int
    failed: int


async def reconcile(runtime: Execution, *, now: datetime) -> Reconciled:
    """Re-enqueue runs left pending and reap pods nobody needs, one run and one cluster at a
    time: an item that fails is logged and counted, and the rest carry on."""
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
    # All clusters at once: a slow one holds up only its own reaping.
    outcomes = await asyncio.gather(
        *(_reap(runtime, cluster, now) for cluster in clusters), return_exceptions=True
    )
    for cluster, outcome in zip(clusters, outcomes, strict=True):
        if isinstance(outcome, int):
            reaped += outcome
            continue
        failed += 1
        RECONCILE_FAILURES.labels(step="reap").inc()
        if isinstance(outcome, KubeError):
            log.warning("reaping pods failed", cluster=cluster.name, error=str(outcome))
        elif isinstance(outcome, Exception):
            log.error("reaping pods failed", cluster=cluster.name, exc_info=outcome)
        else:
            raise outcome
    RUNS_RECONCILED.labels(action="relaunch").inc(relaunched)
    RUNS_RECONCILED.labels(action="reaped").inc(reaped)
    if relaunched or reaped or failed:
        log.info("reconciled", relaunch=relaunched, reaped=reaped, failed=failed)
    return Reconciled(relaunched, reaped, failed)


async def _reap(runtime: Execution, cluster: Cluster, now: datetime) -> int:
    client = runtime.kube.client(cluster)
    async with runtime.session_factory() as session:
        # The default namespace too: pods left there by outside hands are Patrol's to reap.
        namespaces = {cluster.default_namespace, *await namespaces_in_use(session, cluster.id)}
    pods: list[dict[str, Any]] = []
    for namespace in namespaces:
        pods.extend((await client.list_pods(namespace, PATROL_POD_SELECTOR))[0])
    async with runtime.session_factory() as session:
        doomed = await pods_to_reap(session, pods, now=now)
    for pod in doomed:
        metadata = pod["metadata"]
        if await client.delete_pod(metadata["namespace"], metadata["name"]):
            PODS_REAPED.inc()
    return len(doomed)
