"""The dashboard's status summary: every check with its status in each cluster and its uptime
over the last 24 hours, in one statement whatever the size of the fleet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.check_status import CheckHealth
from app.domain.history_window import Span, UptimeWindow, preset_span
from app.domain.rollup import RollupStep, Tally, bucket_start
from app.models import Check, CheckStatus, Cluster, RunRollup
from app.services.listing import CheckFilter, filter_checks


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    cluster_id: uuid.UUID
    cluster_name: str
    status: CheckHealth
    since: datetime
    consecutive_failures: int
    tally: Tally


@dataclass(frozen=True, slots=True)
class CheckSummary:
    check_id: uuid.UUID
    namespace: str
    name: str
    enabled: bool
    clusters: list[ClusterSummary] = field(default_factory=list)

    @property
    def tally(self) -> Tally:
        return sum((cluster.tally for cluster in self.clusters), Tally())


@dataclass(frozen=True, slots=True)
class StatusSummary:
    span: Span
    checks: list[CheckSummary]


async def status_summary(
    session: AsyncSession, where: CheckFilter, *, now: datetime
) -> StatusSummary:
    """One statement: the checks, their statuses with cluster names, and their rollups summed
    over the last 24 hourly buckets (aggregated once, joined by check and cluster)."""
    span = preset_span(UptimeWindow.H24, now)
    filtered = where != CheckFilter()
    day = _tallies(span, filter_checks(select(col(Check.id)), where) if filtered else None)
    rows: Any = (
        sa.select(
            col(Check.id),
            col(Check.namespace),
            col(Check.name),
            col(Check.enabled),
            col(CheckStatus.cluster_id),
            col(Cluster.name),
            col(CheckStatus.status),
            col(CheckStatus.since),
            col(CheckStatus.consecutive_failures),
            *(day.c[name] for name in _COUNTED),
        )
        .outerjoin(CheckStatus, col(CheckStatus.check_id) == col(Check.id))
        .outerjoin(Cluster, col(Cluster.id) == col(CheckStatus.cluster_id))
        .outerjoin(
            day,
            sa.and_(
                day.c.check_id == col(CheckStatus.check_id),
                day.c.cluster_id == col(CheckStatus.cluster_id),
            ),
        )
    )
    statement = filter_checks(rows, where).order_by(
        col(Check.namespace), col(Check.name), col(Check.id), col(Cluster.name)
    )
    checks: dict[uuid.UUID, CheckSummary] = {}
    for row in (await session.exec(statement)).all():
        check_id, namespace, name, enabled, cluster_id, cluster_name, status, since, failures = row[
            :9
        ]
        summary = checks.get(check_id)
        if summary is None:
            summary = checks[check_id] = CheckSummary(check_id, namespace, name, enabled)
        if cluster_id is not None:
            counted = {key: int(value or 0) for key, value in zip(_COUNTED, row[9:], strict=True)}
            summary.clusters.append(
                ClusterSummary(
                    cluster_id=cluster_id,
                    cluster_name=cluster_name,
                    status=CheckHealth(status),
                    since=since,
                    consecutive_failures=failures,
                    tally=Tally(**counted),
                )
            )
    return StatusSummary(span, list(checks.values()))


_COUNTED = ("runs", "successes", "failures", "timeouts", "errors")


def _tallies(span: Span, check_ids: Any) -> Any:
    """Per check and cluster, the counters of the span's buckets (a subquery). Today's daily
    bucket holds exactly today's hourly ones (none lie ahead of now), so it stands in for them:
    up to 24 rows per check and cluster become 1 + the hours before midnight, half on average."""
    rollups = SQLModel.metadata.tables[RunRollup.__tablename__]
    today = bucket_start(span.start + RollupStep.HOUR.length * 23, RollupStep.DAY)
    counters = [rollups.c.check_id, rollups.c.cluster_id, *(rollups.c[n] for n in _COUNTED)]
    hours = sa.select(*counters).where(
        rollups.c.step == RollupStep.HOUR,
        rollups.c.bucket_start >= span.start,
        rollups.c.bucket_start < today,
    )
    day = sa.select(*counters).where(
        rollups.c.step == RollupStep.DAY, rollups.c.bucket_start == today
    )
    if check_ids is not None:
        hours = hours.where(rollups.c.check_id.in_(check_ids))
        day = day.where(rollups.c.check_id.in_(check_ids))
    parts = sa.union_all(hours, day).subquery("parts")
    return (
        sa.select(
            parts.c.check_id,
            parts.c.cluster_id,
            *(sa.func.sum(parts.c[name]).label(name) for name in _COUNTED),
        )
        .group_by(parts.c.check_id, parts.c.cluster_id)
        .subquery("day")
    )
