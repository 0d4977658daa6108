"""The dashboard's status summary: every check with its status in each cluster and its uptime
over the last 24 hours, in two statements whatever the size of the fleet."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.check_status import CheckHealth
from app.domain.history_window import Span, UptimeWindow, preset_span
from app.domain.rollup import Tally
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
    span = preset_span(UptimeWindow.H24, now)
    filtered = where != CheckFilter()
    check_ids = filter_checks(select(col(Check.id)), where) if filtered else None
    tallies = await _tallies(session, span, check_ids)
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
        )
        .outerjoin(CheckStatus, col(CheckStatus.check_id) == col(Check.id))
        .outerjoin(Cluster, col(Cluster.id) == col(CheckStatus.cluster_id))
    )
    statement = filter_checks(rows, where).order_by(
        col(Check.namespace), col(Check.name), col(Check.id), col(Cluster.name)
    )
    checks: dict[uuid.UUID, CheckSummary] = {}
    for row in (await session.exec(statement)).all():
        check_id, namespace, name, enabled, cluster_id, cluster_name, status, since, failures = row
        summary = checks.get(check_id)
        if summary is None:
            summary = checks[check_id] = CheckSummary(check_id, namespace, name, enabled)
        if cluster_id is not None:
            summary.clusters.append(
                ClusterSummary(
                    cluster_id=cluster_id,
                    cluster_name=cluster_name,
                    status=CheckHealth(status),
                    since=since,
                    consecutive_failures=failures,
                    tally=tallies.get((check_id, cluster_id), Tally()),
                )
            )
    return StatusSummary(span, list(checks.values()))


async def _tallies(
    session: AsyncSession, span: Span, check_ids: Any
) -> dict[tuple[uuid.UUID, uuid.UUID], Tally]:
    rollups = SQLModel.metadata.tables[RunRollup.__tablename__]
    statement: Any = (
        sa.select(
            rollups.c.check_id,
            rollups.c.cluster_id,
            sa.func.sum(rollups.c.runs),
            sa.func.sum(rollups.c.successes),
            sa.func.sum(rollups.c.failures),
            sa.func.sum(rollups.c.timeouts),
            sa.func.sum(rollups.c.errors),
        )
        .where(
            rollups.c.step == span.step,
            rollups.c.bucket_start >= span.start,
            rollups.c.bucket_start < span.end,
        )
        .group_by(rollups.c.check_id, rollups.c.cluster_id)
    )
    if check_ids is not None:
        statement = statement.where(rollups.c.check_id.in_(check_ids))
    grouped: dict[tuple[uuid.UUID, uuid.UUID], Tally] = defaultdict(Tally)
    for check_id, cluster_id, runs, successes, failures, timeouts, errors in (
        await session.exec(statement)
    ).all():
        grouped[(check_id, cluster_id)] = Tally(
            runs=int(runs),
            successes=int(successes),
            failures=int(failures),
            timeouts=int(timeouts),
            errors=int(errors),
        )
    return grouped
