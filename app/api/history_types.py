"""GraphQL types of run history: uptime and durations from rollups, the dashboard summary."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.api.context import Info
from app.api.enums import RollupStepEnum  # noqa: F401  (registers the enum)
from app.domain.check_status import CheckHealth
from app.domain.rollup import RollupStep, Tally
from app.services.dashboard import CheckSummary, ClusterSummary, StatusSummary
from app.services.uptime import Figures, Point, Uptime

if TYPE_CHECKING:  # for the type checker only: Strawberry resolves the lazy annotation itself
    from app.api.types import ClusterType

P95_NOTE = "read from log-scale histogram bins: within about 9 % of the exact value"


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


@strawberry.type(
    name="RunStats",
    description="Decided runs summed over rollup buckets; cancelled runs are not counted.",
)
class RunStatsType:
    runs: int
    successes: int
    failures: int
    timeouts: int
    errors: int
    uptime: float | None = strawberry.field(
        description="successes / runs, from 0 to 1; null without runs."
    )
    duration_min_seconds: float | None
    duration_avg_seconds: float | None
    duration_p95_seconds: float | None = strawberry.field(
        description=f"The 95th percentile, {P95_NOTE}."
    )
    duration_max_seconds: float | None

    @classmethod
    def from_figures(cls, figures: Figures) -> RunStatsType:
        return cls.from_tally(figures.tally, p95_ms=figures.p95_ms)

    @classmethod
    def from_tally(cls, tally: Tally, *, p95_ms: float | None = None) -> RunStatsType:
        return cls(
            runs=tally.runs,
            successes=tally.successes,
            failures=tally.failures,
            timeouts=tally.timeouts,
            errors=tally.errors,
            uptime=tally.uptime,
            duration_min_seconds=_seconds(tally.duration_min_ms),
            duration_avg_seconds=_seconds(tally.duration_avg_ms),
            duration_p95_seconds=_seconds(p95_ms),
            duration_max_seconds=_seconds(tally.duration_max_ms),
        )


@strawberry.type(name="ClusterUptime")
class ClusterUptimeType:
    cluster_id: strawberry.ID
    stats: RunStatsType

    @strawberry.field
    async def cluster(
        self, info: Info
    ) -> Annotated[ClusterType, strawberry.lazy("app.api.types")] | None:
        from app.api.types import ClusterType

        cluster = await info.context.loaders.cluster_by_id.load(_uuid(self.cluster_id))
        return None if cluster is None else ClusterType.from_model(cluster)


@strawberry.type(
    name="Uptime",
    description="A check's runs over a window widened to whole buckets: `from` and `to` say "
    "which span was summed.",
)
class UptimeType:
    start: datetime = strawberry.field(name="from")
    end: datetime = strawberry.field(name="to")
    step: RollupStep
    overall: RunStatsType
    clusters: list[ClusterUptimeType] = strawberry.field(description="One per cluster with runs.")

    @classmethod
    def from_uptime(cls, uptime: Uptime) -> UptimeType:
        return cls(
            start=uptime.span.start,
            end=uptime.span.end,
            step=uptime.span.step,
            overall=RunStatsType.from_figures(uptime.overall),
            clusters=[
                ClusterUptimeType(
                    cluster_id=strawberry.ID(str(cluster_id)),
                    stats=RunStatsType.from_figures(figures),
                )
                for cluster_id, figures in sorted(
                    uptime.by_cluster.items(), key=lambda i: str(i[0])
                )
            ],
        )


@strawberry.type(name="DurationPoint", description="One bucket of a chart; empty buckets are kept.")
class DurationPointType:
    at: datetime = strawberry.field(description="The start of the bucket.")
    stats: RunStatsType


@strawberry.type(name="DurationSeries")
class DurationSeriesType:
    start: datetime = strawberry.field(name="from")
    end: datetime = strawberry.field(name="to")
    step: RollupStep
    points: list[DurationPointType]

    @classmethod
    def from_points(
        cls, start: datetime, end: datetime, step: RollupStep, points: list[Point]
    ) -> DurationSeriesType:
        return cls(
            start=start,
            end=end,
            step=step,
            points=[
                DurationPointType(at=point.at, stats=RunStatsType.from_figures(point.figures))
                for point in points
            ],
        )


@strawberry.type(name="ClusterStatusSummary")
class ClusterStatusSummaryType:
    cluster_id: strawberry.ID
    cluster_name: str
    status: CheckHealth
    since: datetime
    consecutive_failures: int
    runs_24h: int = strawberry.field(name="runs24h")
    uptime_24h: float | None = strawberry.field(name="uptime24h")

    @classmethod
    def from_summary(cls, summary: ClusterSummary) -> ClusterStatusSummaryType:
        return cls(
            cluster_id=strawberry.ID(str(summary.cluster_id)),
            cluster_name=summary.cluster_name,
            status=summary.status,
            since=summary.since,
            consecutive_failures=summary.consecutive_failures,
            runs_24h=summary.runs,
            uptime_24h=summary.uptime,
        )


@strawberry.type(
    name="StatusColumn", description="A cluster of the status grid (see StatusSummary.columns)."
)
class StatusColumnType:
    cluster_id: strawberry.ID
    cluster_name: str


@strawberry.type(name="CheckStatusSummary")
class CheckStatusSummaryType:
    check_id: strawberry.ID
    namespace: str
    name: str
    enabled: bool
    runs_24h: int = strawberry.field(name="runs24h")
    uptime_24h: float | None = strawberry.field(
        name="uptime24h", description="Over all its clusters; null without runs."
    )
    statuses: list[CheckHealth | None] = strawberry.field(
        description="Its status in each of the summary's `columns`, in their order; null where "
        "it does not run. The cheapest way to draw a grid."
    )
    uptimes_24h: list[float | None] = strawberry.field(
        name="uptimes24h",
        description="Its uptime in each of the summary's `columns`, in their order; null where "
        "it had no runs.",
    )
    # An attribute, so it completes with its check in one step (app/api/plain_values.py); None
    # unless selected, so a grid does not build it, and a miss is an error, not an empty list.
    clusters: list[ClusterStatusSummaryType] | None = strawberry.field(
        graphql_type=list[ClusterStatusSummaryType],
        description="The same per cluster as objects, by cluster name (more to transfer).",
    )

    @classmethod
    def from_summary(
        cls, summary: CheckSummary, columns: list[uuid.UUID], *, with_clusters: bool
    ) -> CheckStatusSummaryType:
        cells = {cluster.cluster_id: cluster for cluster in summary.clusters}
        found = [cells.get(cluster_id) for cluster_id in columns]
        return cls(
            check_id=strawberry.ID(str(summary.check_id)),
            namespace=summary.namespace,
            name=summary.name,
            enabled=summary.enabled,
            runs_24h=summary.runs,
            uptime_24h=summary.uptime,
            statuses=[None if cell is None else cell.status for cell in found],
            uptimes_24h=[None if cell is None else cell.uptime for cell in found],
            clusters=(
                [ClusterStatusSummaryType.from_summary(c) for c in summary.clusters]
                if with_clusters
                else None
            ),
        )


@strawberry.type(
    name="StatusSummary",
    description="Every check with its status per cluster and its uptime over the last 24 hourly "
    "buckets (`from` to `to`).",
)
class StatusSummaryType:
    start: datetime = strawberry.field(name="from")
    end: datetime = strawberry.field(name="to")
    columns: list[StatusColumnType] = strawberry.field(
        description="Every cluster any of the checks runs in, by name: the columns of the grid "
        "that each check's `statuses` and `uptimes24h` fill."
    )
    checks: list[CheckStatusSummaryType]

    @classmethod
    def from_summary(cls, summary: StatusSummary, *, with_clusters: bool) -> StatusSummaryType:
        names = {
            cluster.cluster_id: cluster.cluster_name
            for check in summary.checks
            for cluster in check.clusters
        }
        columns = sorted(names, key=lambda cluster_id: (names[cluster_id], str(cluster_id)))
        return cls(
            start=summary.span.start,
            end=summary.span.end,
            columns=[
                StatusColumnType(cluster_id=strawberry.ID(str(c)), cluster_name=names[c])
                for c in columns
            ],
            checks=[
                CheckStatusSummaryType.from_summary(check, columns, with_clusters=with_clusters)
                for check in summary.checks
            ],
        )


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)
