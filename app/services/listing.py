"""Read use cases: filtered, keyset-paginated listings of checks and runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.models import Check, CheckCluster, Cluster, FailureReason, Run, RunStatus, RunTrigger


@dataclass(frozen=True, kw_only=True)
class CheckFilter:
    cluster_id: uuid.UUID | None = None
    cluster_name: str | None = None
    namespace: str | None = None
    # Match-all: every key=value pair must be among the check's labels.
    labels: dict[str, str] = field(default_factory=dict)
    enabled: bool | None = None
    name_contains: str | None = None


@dataclass(frozen=True)
class CheckKey:
    namespace: str
    name: str
    id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class RunFilter:
    """What `runs` lists and `runUpdates` streams: `_filter_runs` in SQL, `admits` in memory."""

    check_id: uuid.UUID | None = None
    cluster_id: uuid.UUID | None = None
    statuses: list[RunStatus] = field(default_factory=list)
    trigger: RunTrigger | None = None
    # Any of these (empty: all).
    failure_reasons: list[FailureReason] = field(default_factory=list)
    # On scheduled_at: since inclusive, until exclusive.
    since: datetime | None = None
    until: datetime | None = None

    def admits(
        self,
        *,
        check_id: uuid.UUID,
        cluster_id: uuid.UUID,
        status: RunStatus,
        trigger: RunTrigger,
        scheduled_at: datetime,
    ) -> bool:
        return (
            (self.check_id is None or check_id == self.check_id)
            and (self.cluster_id is None or cluster_id == self.cluster_id)
            and (not self.statuses or status in self.statuses)
            and (self.trigger is None or trigger == self.trigger)
            and (self.since is None or scheduled_at >= self.since)
            and (self.until is None or scheduled_at < self.until)
        )


@dataclass(frozen=True)
class RunKey:
    scheduled_at: datetime
    id: uuid.UUID


async def list_checks(
    session: AsyncSession, where: CheckFilter, *, limit: int, after: CheckKey | None = None
) -> list[Check]:
    """Checks ordered by (namespace, name, id), starting after `after`."""
    query = filter_checks(select(Check), where)
    if after is not None:
        query = query.where(
            sa.tuple_(col(Check.namespace), col(Check.name), col(Check.id))
            > sa.tuple_(
                sa.literal(after.namespace, sa.String()),
                sa.literal(after.name, sa.String()),
                sa.literal(after.id, sa.Uuid()),
            )
        )
    query = query.order_by(col(Check.namespace), col(Check.name), col(Check.id)).limit(limit)
    return list((await session.exec(query)).all())


async def count_checks(session: AsyncSession, where: CheckFilter) -> int:
    query = filter_checks(select(func.count()).select_from(Check), where)
    return int((await session.exec(query)).one())


async def list_runs(
    session: AsyncSession, where: RunFilter, *, limit: int, after: RunKey | None = None
) -> list[Run]:
    """Runs newest first, ordered by (scheduled_at desc, id desc), starting after `after`."""
    query = _filter_runs(select(Run), where)
    if after is not None:
        query = query.where(
            sa.or_(
                col(Run.scheduled_at) < after.scheduled_at,
                sa.and_(col(Run.scheduled_at) == after.scheduled_at, col(Run.id) < after.id),
            )
        )
    query = query.order_by(col(Run.scheduled_at).desc(), col(Run.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def count_runs(session: AsyncSession, where: RunFilter) -> int:
    query = _filter_runs(select(func.count()).select_from(Run), where)
    return int((await session.exec(query)).one())


def filter_checks(query: SelectOfScalar[Any], where: CheckFilter) -> SelectOfScalar[Any]:
    if where.cluster_id is not None:
        query = query.where(
            col(Check.id).in_(
                select(CheckCluster.check_id).where(CheckCluster.cluster_id == where.cluster_id)
            )
        )
    if where.cluster_name is not None:
        query = query.where(
            col(Check.id).in_(
                select(CheckCluster.check_id)
                .join(Cluster, col(Cluster.id) == col(CheckCluster.cluster_id))
                .where(Cluster.name == where.cluster_name)
            )
        )
    if where.namespace is not None:
        query = query.where(Check.namespace == where.namespace)
    for key, value in where.labels.items():
        query = query.where(col(Check.labels)[key].as_string() == value)
    if where.enabled is not None:
        query = query.where(Check.enabled == where.enabled)
    if where.name_contains:
        query = query.where(
            func.lower(col(Check.name)).contains(where.name_contains.lower(), autoescape=True)
        )
    return query


def _filter_runs(query: SelectOfScalar[Any], where: RunFilter) -> SelectOfScalar[Any]:
    if where.check_id is not None:
        query = query.where(Run.check_id == where.check_id)
    if where.cluster_id is not None:
        query = query.where(Run.cluster_id == where.cluster_id)
    if where.statuses:
        query = query.where(col(Run.status).in_(where.statuses))
    if where.trigger is not None:
        query = query.where(Run.trigger == where.trigger)
    if where.failure_reasons:
        query = query.where(col(Run.failure_reason).in_(where.failure_reasons))
    if where.since is not None:
        query = query.where(col(Run.scheduled_at) >= where.since)
    if where.until is not None:
        query = query.where(col(Run.scheduled_at) < where.until)
    return query
