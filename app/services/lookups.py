"""Batched reads by id, one query per batch: the data behind the API's DataLoaders."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import (
    Check,
    CheckCluster,
    CheckStatus,
    Cluster,
    ClusterHealth,
    Run,
    RunEvent,
    RunLog,
)


async def clusters_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Cluster]:
    rows = await session.exec(select(Cluster).where(col(Cluster.id).in_(set(ids))))
    return {cluster.id: cluster for cluster in rows.all()}


async def checks_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Check]:
    rows = await session.exec(select(Check).where(col(Check.id).in_(set(ids))))
    return {check.id: check for check in rows.all()}


async def clusters_by_check_id(
    session: AsyncSession, check_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Cluster]]:
    rows = await session.exec(
        select(CheckCluster.check_id, Cluster)
        .join(Cluster, col(Cluster.id) == col(CheckCluster.cluster_id))
        .where(col(CheckCluster.check_id).in_(set(check_ids)))
        .order_by(col(Cluster.name))
    )
    grouped: dict[uuid.UUID, list[Cluster]] = defaultdict(list)
    for check_id, cluster in rows.all():
        grouped[check_id].append(cluster)
    return grouped


async def statuses_by_check_id(
    session: AsyncSession, check_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CheckStatus]]:
    rows = await session.exec(
        select(CheckStatus)
        .join(Cluster, col(Cluster.id) == col(CheckStatus.cluster_id))
        .where(col(CheckStatus.check_id).in_(set(check_ids)))
        .order_by(col(Cluster.name))
    )
    grouped: dict[uuid.UUID, list[CheckStatus]] = defaultdict(list)
    for status in rows.all():
        grouped[status.check_id].append(status)
    return grouped


async def statuses_by_cluster_id(
    session: AsyncSession, cluster_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CheckStatus]]:
    rows = await session.exec(
        select(CheckStatus)
        .join(Check, col(Check.id) == col(CheckStatus.check_id))
        .where(col(CheckStatus.cluster_id).in_(set(cluster_ids)))
        .order_by(col(Check.namespace), col(Check.name))
    )
    grouped: dict[uuid.UUID, list[CheckStatus]] = defaultdict(list)
    for status in rows.all():
        grouped[status.cluster_id].append(status)
    return grouped


async def health_by_cluster_id(
    session: AsyncSession, cluster_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ClusterHealth]:
    rows = await session.exec(
        select(ClusterHealth).where(col(ClusterHealth.cluster_id).in_(set(cluster_ids)))
    )
    return {row.cluster_id: row for row in rows.all()}


async def runs_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Run]:
    rows = await session.exec(select(Run).where(col(Run.id).in_(set(ids))))
    return {run.id: run for run in rows.all()}


async def latest_run_by_check_id(
    session: AsyncSession, check_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Run]:
    """The most recently scheduled run of each check, across its clusters."""
    position = (
        sa.func.row_number()
        .over(
            partition_by=col(Run.check_id),
            order_by=(col(Run.scheduled_at).desc(), col(Run.id).desc()),
        )
        .label("position")
    )
    ranked = (
        select(col(Run.id).label("run_id"), position)
        .where(col(Run.check_id).in_(set(check_ids)))
        .subquery()
    )
    rows = await session.exec(
        select(Run).join(ranked, ranked.c.run_id == col(Run.id)).where(ranked.c.position == 1)
    )
    return {run.check_id: run for run in rows.all()}


async def logs_by_run_id(
    session: AsyncSession, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RunLog]]:
    rows = await session.exec(
        select(RunLog).where(col(RunLog.run_id).in_(set(run_ids))).order_by(col(RunLog.container))
    )
    grouped: dict[uuid.UUID, list[RunLog]] = defaultdict(list)
    for log in rows.all():
        grouped[log.run_id].append(log)
    return grouped


async def events_by_run_id(
    session: AsyncSession, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RunEvent]]:
    rows = await session.exec(
        select(RunEvent)
        .where(col(RunEvent.run_id).in_(set(run_ids)))
        .order_by(col(RunEvent.position))
    )
    grouped: dict[uuid.UUID, list[RunEvent]] = defaultdict(list)
    for event in rows.all():
        grouped[event.run_id].append(event)
    return grouped


async def cluster_by_name(session: AsyncSession, name: str) -> Cluster | None:
    return (await session.exec(select(Cluster).where(Cluster.name == name))).first()


async def check_by_name(session: AsyncSession, namespace: str, name: str) -> Check | None:
    query = select(Check).where(Check.namespace == namespace, Check.name == name)
    return (await session.exec(query)).first()


async def all_clusters(session: AsyncSession) -> list[Cluster]:
    return list((await session.exec(select(Cluster).order_by(col(Cluster.name)))).all())


async def namespaces_in_use(session: AsyncSession, cluster_id: uuid.UUID) -> list[str]:
    """The namespaces Patrol may have pods in, in one cluster: those of the checks that run
    there, and those of its runs not finalized yet (a check may have moved namespace since)."""
    of_checks = (
        select(Check.namespace)
        .join(CheckCluster, col(CheckCluster.check_id) == col(Check.id))
        .where(CheckCluster.cluster_id == cluster_id)
    )
    of_runs = select(Run.pod_namespace).where(
        Run.cluster_id == cluster_id,
        col(Run.finalized_at).is_(None),
        col(Run.pod_namespace).is_not(None),
    )
    found = set((await session.exec(of_checks)).all()) | set((await session.exec(of_runs)).all())
    return sorted(namespace for namespace in found if namespace)
