"""Fleet-wide counts: clusters by reachability, checks, and check statuses across all clusters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.check_status import CheckHealth
from app.models import Check, CheckStatus, Cluster, ClusterHealth


@dataclass(frozen=True, slots=True)
class FleetCounts:
    clusters: int
    reachable_clusters: int
    unreachable_clusters: int
    checks: int
    # (check, cluster) pairs by status; every status is present, zero or not.
    statuses: dict[CheckHealth, int]

    @property
    def unknown_clusters(self) -> int:
        return self.clusters - self.reachable_clusters - self.unreachable_clusters


async def fleet_counts(session: AsyncSession) -> FleetCounts:
    clusters = (await session.exec(select(func.count()).select_from(Cluster))).one()
    reachability = dict(
        (
            await session.exec(
                select(ClusterHealth.reachable, func.count())
                .join(Cluster, col(Cluster.id) == col(ClusterHealth.cluster_id))
                .group_by(col(ClusterHealth.reachable))
            )
        ).all()
    )
    checks = (await session.exec(select(func.count()).select_from(Check))).one()
    by_status = dict(
        (
            await session.exec(
                select(CheckStatus.status, func.count()).group_by(col(CheckStatus.status))
            )
        ).all()
    )
    return FleetCounts(
        clusters=int(clusters),
        reachable_clusters=int(reachability.get(True, 0)),
        unreachable_clusters=int(reachability.get(False, 0)),
        checks=int(checks),
        statuses={status: int(by_status.get(status, 0)) for status in CheckHealth},
    )
