"""What Kuberhealthy's status JSON and metrics are made of: each check in each cluster, with its
last decided run, read from the check status rows in one query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.kuberhealthy.status import CheckState
from app.models import Check, CheckStatus, Cluster, Run


async def check_states(
    session: AsyncSession,
    *,
    namespaces: Sequence[str] | None = None,
    cluster: str | None = None,
) -> list[CheckState]:
    query = (
        select(CheckStatus, Check, Cluster.name, Run)
        .join(Check, col(Check.id) == col(CheckStatus.check_id))
        .join(Cluster, col(Cluster.id) == col(CheckStatus.cluster_id))
        .outerjoin(Run, col(Run.id) == col(CheckStatus.last_run_id))
    )
    if namespaces:
        query = query.where(col(Check.namespace).in_(list(namespaces)))
    if cluster is not None:
        query = query.where(col(Cluster.name) == cluster)
    rows = (await session.exec(query)).all()
    return [
        CheckState(
            namespace=check.namespace,
            name=check.name,
            cluster=cluster_name,
            one_shot=check.run_interval_seconds is None,
            consecutive_failures=status.consecutive_failures,
            last_success_at=status.last_success_at,
            last_run_id=status.last_run_id,
            last_run_status=status.last_run_status,
            last_run_started_at=run.started_at if run else status.last_run_started_at,
            last_run_finished_at=run.finished_at if run else None,
            last_run_errors=tuple(run.errors) if run else (),
            last_run_reason=run.failure_reason.value if run and run.failure_reason else None,
            node=(run.node_name or "") if run else "",
        )
        for status, check, cluster_name, run in rows
    ]


async def cluster_names(session: AsyncSession, *, only: str | None = None) -> list[str]:
    query = select(Cluster.name).order_by(col(Cluster.name))
    if only is not None:
        query = query.where(col(Cluster.name) == only)
    return list((await session.exec(query)).all())
