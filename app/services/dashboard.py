"""The dashboard's status summary: every check with its status in each cluster and its uptime
over the last 24 hours, in one statement whatever the size of the fleet."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.check_status import CheckHealth
from app.domain.history_window import Span, UptimeWindow, preset_span
from app.domain.rollup import RollupStep, Tally, bucket_start
from app.models import Check, CheckStatus, Cluster, RunRollup
from app.services.listing import CheckFilter, filter_checks


class ClusterSummary(NamedTuple):
    """A check in one cluster. Tuples, not dataclasses: a summary makes thousands of them, and a
    frozen dataclass took ten times as long to build."""

    cluster_id: uuid.UUID
    cluster_name: str
    status: CheckHealth
    consecutive_failures: int
    runs: int
    successes: int
    failures: int
    timeouts: int
    errors: int
    # Read as stored and converted when asked: a grid never asks, and on SQLite parsing 3,000
    # timestamps cost more than the rest of the row.
    stored_since: Any
    read_since: Callable[[Any], datetime]

    @property
    def since(self) -> datetime:
        return self.read_since(self.stored_since)

    @property
    def uptime(self) -> float | None:
        return None if self.runs == 0 else self.successes / self.runs

    @property
    def tally(self) -> Tally:
        return Tally(
            runs=self.runs,
            successes=self.successes,
            failures=self.failures,
            timeouts=self.timeouts,
            errors=self.errors,
        )


class CheckSummary(NamedTuple):
    check_id: uuid.UUID
    namespace: str
    name: str
    enabled: bool
    clusters: list[ClusterSummary]

    @property
    def runs(self) -> int:
        return sum(cluster.runs for cluster in self.clusters)

    @property
    def uptime(self) -> float | None:
        """Over all its clusters; None without runs."""
        runs = self.runs
        return None if runs == 0 else sum(c.successes for c in self.clusters) / runs

    @property
    def tally(self) -> Tally:
        return sum((cluster.tally for cluster in self.clusters), Tally())


@dataclass(frozen=True, slots=True)
class StatusSummary:
    span: Span
    checks: list[CheckSummary]


_HEALTH = {health.value: health for health in CheckHealth}


async def status_summary(
    session: AsyncSession, where: CheckFilter, *, now: datetime
) -> StatusSummary:
    """One statement: the checks, their statuses with cluster names, and their rollups summed
    over the last 24 hourly buckets (aggregated once, joined by check and cluster). Rows come
    back as plain tuples, identifiers and timestamps as stored: a check's id is converted once,
    not once per cluster, and a cluster's once per summary."""
    span = preset_span(UptimeWindow.H24, now)
    filtered = where != CheckFilter()
    day = _tallies(span, filter_checks(select(col(Check.id)), where) if filtered else None)
    check_id, cluster_id = col(CheckStatus.check_id), col(CheckStatus.cluster_id)
    rows: Any = (
        sa.select(
            _stored(col(Check.id)),
            col(Check.namespace),
            col(Check.name),
            col(Check.enabled),
            _stored(cluster_id),
            col(Cluster.name),
            _stored(col(CheckStatus.status)),
            _stored(col(CheckStatus.since)),
            col(CheckStatus.consecutive_failures),
            *(day.c[name] for name in _COUNTED),
        )
        .outerjoin(CheckStatus, check_id == col(Check.id))
        .outerjoin(Cluster, col(Cluster.id) == cluster_id)
        .outerjoin(day, sa.and_(day.c.check_id == check_id, day.c.cluster_id == cluster_id))
    )
    statement = filter_checks(rows, where).order_by(
        col(Check.namespace), col(Check.name), col(Check.id), col(Cluster.name)
    )
    connection = await session.connection()
    read_id = _reader(connection, col(Check.id))
    read_since = _reader(connection, col(CheckStatus.since))
    cluster_ids: dict[Any, uuid.UUID] = {}
    checks: list[CheckSummary] = []
    summary: CheckSummary | None = None
    last_check: Any = None
    for (
        stored_check,
        namespace,
        name,
        enabled,
        stored_cluster,
        cluster_name,
        status,
        since,
        failures,
        runs,
        successes,
        failed,
        timeouts,
        errors,
    ) in (await connection.execute(statement)).all():
        if stored_check != last_check or summary is None:
            last_check = stored_check
            summary = CheckSummary(read_id(stored_check), namespace, name, enabled, [])
            checks.append(summary)
        if stored_cluster is None:
            continue
        known = cluster_ids.get(stored_cluster)
        if known is None:
            known = cluster_ids[stored_cluster] = read_id(stored_cluster)
        summary.clusters.append(
            ClusterSummary(
                known,
                cluster_name,
                _HEALTH[status],
                failures,
                runs or 0,
                successes or 0,
                failed or 0,
                timeouts or 0,
                errors or 0,
                since,
                read_since,
            )
        )
    return StatusSummary(span, checks)


_COUNTED = ("runs", "successes", "failures", "timeouts", "errors")


def _stored(column: Any) -> Any:
    """The column as the driver returns it, without the type's conversion."""
    return sa.type_coerce(column, sa.types.NullType())


def _reader(connection: Any, column: Any) -> Callable[[Any], Any]:
    """The conversion the column's type applies to a stored value, for this database."""
    dialect = connection.dialect
    process = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return (lambda value: value) if process is None else process


def _yesterday_as_hours(span: Span) -> bool:
    """Whether the span's hours of yesterday are read as they are (when they are 12 at most)."""
    today = bucket_start(span.end - RollupStep.HOUR.length, RollupStep.DAY)
    return today - span.start <= timedelta(hours=12)


def buckets_read(span: Span) -> tuple[int, int]:
    """How many hourly and daily buckets the summary reads per check and cluster."""
    today = bucket_start(span.end - RollupStep.HOUR.length, RollupStep.DAY)
    yesterday_hours = (today - span.start) // RollupStep.HOUR.length
    if _yesterday_as_hours(span):
        return yesterday_hours, 1
    return 24 - yesterday_hours, 2


def _tallies(span: Span, check_ids: Any) -> Any:
    """Per check and cluster, the counters of the span's buckets (a subquery), reading at most
    13 buckets per check and cluster instead of 24 hourly ones. Today's daily bucket holds
    exactly today's hours (none lie ahead of now); the span's hours of yesterday are read as
    they are when they are few, else as yesterday's daily bucket minus its hours before the span."""
    rollups = SQLModel.metadata.tables[RunRollup.__tablename__]
    today = bucket_start(span.end - RollupStep.HOUR.length, RollupStep.DAY)
    yesterday = today - RollupStep.DAY.length
    counters = [rollups.c.check_id, rollups.c.cluster_id, *(rollups.c[n] for n in _COUNTED)]
    subtracted = [
        rollups.c.check_id,
        rollups.c.cluster_id,
        *((-rollups.c[n]).label(n) for n in _COUNTED),
    ]

    def hours(columns: list[Any], start: datetime, end: datetime) -> Any:
        return sa.select(*columns).where(
            rollups.c.step == RollupStep.HOUR,
            rollups.c.bucket_start >= start,
            rollups.c.bucket_start < end,
        )

    def day(start: datetime) -> Any:
        return sa.select(*counters).where(
            rollups.c.step == RollupStep.DAY, rollups.c.bucket_start == start
        )

    parts = [day(today)]
    if _yesterday_as_hours(span):
        parts.append(hours(counters, span.start, today))
    else:
        parts += [day(yesterday), hours(subtracted, yesterday, span.start)]
    if check_ids is not None:
        parts = [part.where(rollups.c.check_id.in_(check_ids)) for part in parts]
    union = sa.union_all(*parts).subquery("parts")
    return (
        sa.select(
            union.c.check_id,
            union.c.cluster_id,
            *(sa.func.sum(union.c[name]).label(name) for name in _COUNTED),
        )
        .group_by(union.c.check_id, union.c.cluster_id)
        .subquery("day")
    )
