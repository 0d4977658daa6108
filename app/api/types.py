"""GraphQL output types. Cluster secrets never appear here: only `hasCredentials`."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.context import Info
from app.api.fields import described_field
from app.api.history import check_durations, check_uptime
from app.api.history_types import DurationSeriesType, UptimeType
from app.domain.check_status import CheckHealth
from app.domain.duration import format_duration
from app.domain.history_window import UptimeWindow
from app.domain.rollup import RollupStep
from app.models import (
    Check,
    CheckStatus,
    Cluster,
    ClusterHealth,
    ConnectionKind,
    FailureReason,
    Run,
    RunEvent,
    RunLog,
    RunStatus,
    RunTrigger,
)
from app.services.fleet import FleetCounts


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _go_duration(seconds: float | None) -> str | None:
    return None if seconds is None else format_duration(timedelta(seconds=seconds))


@strawberry.enum(name="ClusterReachability")
class ClusterReachability(enum.Enum):
    UNKNOWN = "unknown"  # not probed yet
    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"


@strawberry.type(
    name="ClusterHealth",
    description="What the last probes of the cluster's API (GET /version) found.",
)
class ClusterHealthType:
    status: ClusterReachability
    since: datetime | None = strawberry.field(description="When it entered this status.")
    checked_at: datetime | None = strawberry.field(description="When it was last probed.")
    last_contact_at: datetime | None = strawberry.field(description="When its API last answered.")
    server_version: str | None = strawberry.field(description="Its API server's gitVersion.")
    last_error: str | None = strawberry.field(
        description="Why the last failed probe failed (kept after it recovers)."
    )
    consecutive_failures: int

    @classmethod
    def from_model(cls, health: ClusterHealth | None) -> ClusterHealthType:
        if health is None:
            return cls(
                status=ClusterReachability.UNKNOWN,
                since=None,
                checked_at=None,
                last_contact_at=None,
                server_version=None,
                last_error=None,
                consecutive_failures=0,
            )
        return cls(
            status=(
                ClusterReachability.REACHABLE
                if health.reachable
                else ClusterReachability.UNREACHABLE
            ),
            since=health.since,
            checked_at=health.checked_at,
            last_contact_at=health.last_contact_at,
            server_version=health.server_version,
            last_error=health.last_error,
            consecutive_failures=health.consecutive_failures,
        )


@strawberry.type(name="Cluster")
class ClusterType:
    model: strawberry.Private[Cluster]
    id: strawberry.ID
    name: str
    description: str
    labels: JSON
    connection_kind: ConnectionKind
    api_url: str | None
    context: str | None = strawberry.field(description="The kubeconfig context used, if any.")
    insecure_skip_tls_verify: bool
    default_namespace: str
    report_url: str | None = strawberry.field(
        description="Where this cluster's checker pods report; null: Patrol's public URL."
    )
    has_credentials: bool = strawberry.field(
        description="Whether a kubeconfig, token or CA certificate is stored (never returned)."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, cluster: Cluster) -> ClusterType:
        return cls(
            model=cluster,
            id=_id(cluster.id),
            name=cluster.name,
            description=cluster.description,
            labels=JSON(cluster.labels),
            connection_kind=cluster.connection_kind,
            api_url=cluster.api_url,
            context=cluster.kube_context,
            insecure_skip_tls_verify=cluster.insecure_skip_tls_verify,
            default_namespace=cluster.default_namespace,
            report_url=cluster.report_url,
            has_credentials=cluster.has_credentials,
            created_at=cluster.created_at,
            updated_at=cluster.updated_at,
        )

    @described_field("Whether its API answers, its server version, last contact and error.")
    async def health(self, info: Info) -> ClusterHealthType:
        health = await info.context.loaders.health_by_cluster_id.load(self.model.id)
        return ClusterHealthType.from_model(health)

    @described_field("The status here of each check that runs here, by namespace and name.")
    async def statuses(self, info: Info) -> list[CheckStatusType]:
        statuses = await info.context.loaders.statuses_by_cluster_id.load(self.model.id)
        return [CheckStatusType.from_model(status) for status in statuses]


@strawberry.type(name="Check")
class CheckType:
    model: strawberry.Private[Check]
    id: strawberry.ID
    name: str
    namespace: str
    description: str
    labels: JSON
    pod_spec: JSON = strawberry.field(description="A core/v1 PodSpec, camelCase as in YAML.")
    extra_labels: JSON
    extra_annotations: JSON
    run_interval: str | None = strawberry.field(
        description="Go duration between scheduled runs; null means on-demand only."
    )
    run_interval_seconds: float | None
    timeout: str = strawberry.field(description="Go duration after which a run times out.")
    timeout_seconds: float
    enabled: bool
    source: str | None = strawberry.field(
        description="Where `patrol apply` / `applyManifests` read it from; null if made by the API."
    )
    cluster_selector: str | None = strawberry.field(
        description="The label selector over cluster labels it also runs by, if any."
    )
    version: int = strawberry.field(description="Incremented on every edit.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, check: Check) -> CheckType:
        return cls(
            model=check,
            id=_id(check.id),
            name=check.name,
            namespace=check.namespace,
            description=check.description,
            labels=JSON(check.labels),
            pod_spec=JSON(check.pod_spec),
            extra_labels=JSON(check.extra_labels),
            extra_annotations=JSON(check.extra_annotations),
            run_interval=_go_duration(check.run_interval_seconds),
            run_interval_seconds=check.run_interval_seconds,
            timeout=_go_duration(check.timeout_seconds) or "0s",
            timeout_seconds=check.timeout_seconds,
            enabled=check.enabled,
            source=check.source,
            cluster_selector=check.cluster_selector,
            version=check.version,
            created_at=check.created_at,
            updated_at=check.updated_at,
        )

    @strawberry.field
    async def clusters(self, info: Info) -> list[ClusterType]:
        clusters = await info.context.loaders.clusters_by_check_id.load(self.model.id)
        return [ClusterType.from_model(cluster) for cluster in clusters]

    @described_field("Its status in each of its clusters, by cluster name.")
    async def statuses(self, info: Info) -> list[CheckStatusType]:
        statuses = await info.context.loaders.statuses_by_check_id.load(self.model.id)
        return [CheckStatusType.from_model(status) for status in statuses]

    @described_field(
        "Uptime and durations over a window (default H24) or a custom range [from, to), per "
        "cluster and overall, from rollups (kept longer than raw runs)."
    )
    async def uptime(
        self,
        info: Info,
        window: UptimeWindow | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        cluster_id: strawberry.ID | None = None,
    ) -> UptimeType:
        return await check_uptime(info, self.model.id, window, from_, to, cluster_id)

    @described_field(
        "Durations and run counts per bucket, for a chart: one point per hour or day (step, "
        "default the window's), empty buckets included; at most 1,000 points."
    )
    async def durations(
        self,
        info: Info,
        window: UptimeWindow | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        step: RollupStep | None = None,
        cluster_id: strawberry.ID | None = None,
    ) -> DurationSeriesType:
        return await check_durations(info, self.model.id, window, from_, to, step, cluster_id)

    @described_field("The most recently scheduled run, on any cluster.")
    async def latest_run(self, info: Info) -> RunType | None:
        run = await info.context.loaders.latest_run_by_check_id.load(self.model.id)
        return None if run is None else RunType.from_model(run)


@strawberry.type(
    name="CheckStatus",
    description="What a check is doing in one cluster; it follows the run that started last.",
)
class CheckStatusType:
    model: strawberry.Private[CheckStatus]
    status: CheckHealth
    since: datetime = strawberry.field(description="When it entered this status.")
    consecutive_failures: int = strawberry.field(
        description="Runs in a row that did not succeed (failed, timed out or errors)."
    )
    consecutive_successes: int
    last_success_at: datetime | None
    last_failure_at: datetime | None

    @classmethod
    def from_model(cls, status: CheckStatus) -> CheckStatusType:
        return cls(
            model=status,
            status=status.status,
            since=status.since,
            consecutive_failures=status.consecutive_failures,
            consecutive_successes=status.consecutive_successes,
            last_success_at=status.last_success_at,
            last_failure_at=status.last_failure_at,
        )

    @strawberry.field
    async def cluster(self, info: Info) -> ClusterType | None:
        cluster = await info.context.loaders.cluster_by_id.load(self.model.cluster_id)
        return None if cluster is None else ClusterType.from_model(cluster)

    @strawberry.field
    async def check(self, info: Info) -> CheckType | None:
        check = await info.context.loaders.check_by_id.load(self.model.check_id)
        return None if check is None else CheckType.from_model(check)

    @described_field("The run the status follows.")
    async def last_run(self, info: Info) -> RunType | None:
        if self.model.last_run_id is None:
            return None
        run = await info.context.loaders.run_by_id.load(self.model.last_run_id)
        return None if run is None else RunType.from_model(run)


@strawberry.type(name="RunLog")
class RunLogType:
    container: str
    content: str
    truncated: bool = strawberry.field(
        description="Earlier output was cut: Patrol keeps a log's last 2000 lines and at most "
        "PATROL_RUN_LOG_MAX_BYTES of them."
    )
    captured_at: datetime

    @classmethod
    def from_model(cls, log: RunLog) -> RunLogType:
        return cls(
            container=log.container,
            content=log.content,
            truncated=log.truncated,
            captured_at=log.captured_at,
        )


@strawberry.type(name="RunEvent")
class RunEventType:
    id: strawberry.ID
    type: str
    reason: str
    message: str
    count: int
    source: str
    first_seen: datetime | None
    last_seen: datetime | None

    @classmethod
    def from_model(cls, event: RunEvent) -> RunEventType:
        return cls(
            id=_id(event.id),
            type=event.type,
            reason=event.reason,
            message=event.message,
            count=event.count,
            source=event.source,
            first_seen=event.first_seen,
            last_seen=event.last_seen,
        )


@strawberry.type(name="Run")
class RunType:
    model: strawberry.Private[Run]
    id: strawberry.ID
    check_id: strawberry.ID
    cluster_id: strawberry.ID
    check_version: int
    trigger: RunTrigger
    status: RunStatus
    ok: bool | None
    errors: list[str]
    failure_reason: FailureReason | None
    scheduled_at: datetime
    started_at: datetime | None
    deadline_at: datetime | None
    finished_at: datetime | None
    finalized_at: datetime | None
    pod_name: str | None
    pod_namespace: str | None
    node_name: str | None
    pod_ip: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, run: Run) -> RunType:
        return cls(
            model=run,
            id=_id(run.id),
            check_id=_id(run.check_id),
            cluster_id=_id(run.cluster_id),
            check_version=run.check_version,
            trigger=run.trigger,
            status=run.status,
            ok=run.ok,
            errors=list(run.errors),
            failure_reason=run.failure_reason,
            scheduled_at=run.scheduled_at,
            started_at=run.started_at,
            deadline_at=run.deadline_at,
            finished_at=run.finished_at,
            finalized_at=run.finalized_at,
            pod_name=run.pod_name,
            pod_namespace=run.pod_namespace,
            node_name=run.node_name,
            pod_ip=run.pod_ip,
            created_at=run.created_at,
        )

    @described_field("Go duration from start to finish; null until both are known.")
    def duration(self) -> str | None:
        return _go_duration(self._duration_seconds())

    @strawberry.field
    def duration_seconds(self) -> float | None:
        return self._duration_seconds()

    def _duration_seconds(self) -> float | None:
        if self.model.started_at is None or self.model.finished_at is None:
            return None
        return (self.model.finished_at - self.model.started_at).total_seconds()

    @strawberry.field
    async def check(self, info: Info) -> CheckType | None:
        check = await info.context.loaders.check_by_id.load(self.model.check_id)
        return None if check is None else CheckType.from_model(check)

    @strawberry.field
    async def cluster(self, info: Info) -> ClusterType | None:
        cluster = await info.context.loaders.cluster_by_id.load(self.model.cluster_id)
        return None if cluster is None else ClusterType.from_model(cluster)

    @described_field("Container logs captured before the pod was deleted.")
    async def logs(self, info: Info) -> list[RunLogType]:
        logs = await info.context.loaders.logs_by_run_id.load(self.model.id)
        return [RunLogType.from_model(log) for log in logs]

    @described_field("Kubernetes events about the run's pod.")
    async def events(self, info: Info) -> list[RunEventType]:
        events = await info.context.loaders.events_by_run_id.load(self.model.id)
        return [RunEventType.from_model(event) for event in events]


@strawberry.type(name="StatusCount")
class StatusCountType:
    status: CheckHealth
    count: int


@strawberry.type(name="Fleet", description="Counts across every cluster and check.")
class FleetType:
    clusters: int
    reachable_clusters: int
    unreachable_clusters: int
    unknown_clusters: int = strawberry.field(description="Clusters not probed yet.")
    checks: int
    statuses: list[StatusCountType] = strawberry.field(
        description="(check, cluster) pairs by status, every status listed."
    )

    @classmethod
    def from_counts(cls, counts: FleetCounts) -> FleetType:
        return cls(
            clusters=counts.clusters,
            reachable_clusters=counts.reachable_clusters,
            unreachable_clusters=counts.unreachable_clusters,
            unknown_clusters=counts.unknown_clusters,
            checks=counts.checks,
            statuses=[
                StatusCountType(status=status, count=count)
                for status, count in counts.statuses.items()
            ],
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


NodeT = TypeVar("NodeT")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @described_field("Matching items across all pages (one more query).")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]
