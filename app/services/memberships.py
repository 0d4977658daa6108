"""Which clusters a check runs in: those named in its clusterIds (`explicit`) and those its cluster
selector matches (`matched`), kept as one `check_cluster` row each so that schedules, statuses,
triggers and listings read one table. Building blocks: they take the caller's session and never
commit.

A cluster registered or relabelled touches only its own (check, cluster) rows, so no other check
or cluster is rescheduled; a check's edit touches only that check's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.cluster_selector import parse_cluster_selector
from app.models import Check, CheckCluster, CheckSchedule, CheckStatus, Cluster
from app.services import history


async def assigned_clusters(session: AsyncSession, check_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.exec(
        select(CheckCluster.cluster_id).where(CheckCluster.check_id == check_id)
    )
    return list(rows.all())


async def set_explicit_clusters(
    session: AsyncSession, check_id: uuid.UUID, cluster_ids: Iterable[uuid.UUID]
) -> None:
    """Name exactly these clusters for the check (ids already resolved); matched ones stay."""
    wanted = set(cluster_ids)
    rows = {row.cluster_id: row for row in await _rows(session, check_id)}
    for cluster_id, row in rows.items():
        if row.explicit != (cluster_id in wanted):
            row.explicit = cluster_id in wanted
            session.add(row)
    session.add_all(
        CheckCluster(check_id=check_id, cluster_id=cluster_id, explicit=True, matched=False)
        for cluster_id in wanted - rows.keys()
    )
    await session.flush()
    await _drop_unneeded(session, check_id)


async def apply_selector(session: AsyncSession, check: Check) -> None:
    """Mark the clusters the check's selector matches, and unmark the others."""
    selector = (
        None if check.cluster_selector is None else parse_cluster_selector(check.cluster_selector)
    )
    clusters = (await session.exec(select(Cluster.id, Cluster.labels))).all()
    matching = {
        cluster_id for cluster_id, labels in clusters if selector and selector.matches(labels or {})
    }
    rows = {row.cluster_id: row for row in await _rows(session, check.id)}
    for cluster_id, row in rows.items():
        if row.matched != (cluster_id in matching):
            row.matched = cluster_id in matching
            session.add(row)
    session.add_all(
        CheckCluster(check_id=check.id, cluster_id=cluster_id, explicit=False, matched=True)
        for cluster_id in matching - rows.keys()
    )
    await session.flush()
    await _drop_unneeded(session, check.id)


async def match_cluster(session: AsyncSession, cluster: Cluster, *, now: datetime) -> None:
    """After a cluster is registered or its labels change: start every selecting check that now
    matches it there, and stop those that no longer do (unless named explicitly). Only this
    cluster's (check, cluster) rows change."""
    checks = (
        await session.exec(select(Check).where(col(Check.cluster_selector).is_not(None)))
    ).all()
    rows = {
        row.check_id: row
        for row in (
            await session.exec(select(CheckCluster).where(CheckCluster.cluster_id == cluster.id))
        ).all()
    }
    for check in checks:
        assert check.cluster_selector is not None
        matches = parse_cluster_selector(check.cluster_selector).matches(cluster.labels or {})
        row = rows.get(check.id)
        if row is None and matches:
            session.add(
                CheckCluster(check_id=check.id, cluster_id=cluster.id, explicit=False, matched=True)
            )
            await session.flush()
            await _start_in(session, check, cluster.id, now=now)
        elif row is not None and row.matched != matches:
            row.matched = matches
            session.add(row)
            if not matches and not row.explicit:
                await session.delete(row)
                await _stop_in(session, check.id, cluster.id)
    await session.flush()


async def _start_in(
    session: AsyncSession, check: Check, cluster_id: uuid.UUID, *, now: datetime
) -> None:
    if check.enabled and check.run_interval_seconds:
        session.add(CheckSchedule(check_id=check.id, cluster_id=cluster_id, next_due_at=now))
    await history.add_membership(
        session, check.id, cluster_id, is_paused=not check.enabled, now=now
    )


async def _stop_in(session: AsyncSession, check_id: uuid.UUID, cluster_id: uuid.UUID) -> None:
    for table in (CheckSchedule, CheckStatus):
        await session.exec(
            delete(table).where(
                col(table.check_id) == check_id, col(table.cluster_id) == cluster_id
            )
        )


async def _rows(session: AsyncSession, check_id: uuid.UUID) -> list[CheckCluster]:
    return list(
        (await session.exec(select(CheckCluster).where(CheckCluster.check_id == check_id))).all()
    )


async def _drop_unneeded(session: AsyncSession, check_id: uuid.UUID) -> None:
    await session.exec(
        delete(CheckCluster).where(
            col(CheckCluster.check_id) == check_id,
            col(CheckCluster.explicit).is_(False),
            col(CheckCluster.matched).is_(False),
        )
    )
