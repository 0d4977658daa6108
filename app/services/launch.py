"""Launching a run: mark it running with its deadline, then create its checker pod."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.kube import ClusterClient, KubeError
from app.domain.manifest import PodLaunch, build_pod_manifest, pod_name, reporting_url
from app.models import Check, Cluster, FailureReason, Run, RunStatus
from app.services.outcome import decide_run, execution_error


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    run: Run
    check: Check
    cluster: Cluster
    manifest: dict[str, object]


async def start_run(
    session: AsyncSession, run_id: uuid.UUID, *, public_url: str, now: datetime
) -> LaunchPlan | None:
    """Move a pending run to running (CAS) and return what to create; None if it is not pending.

    A run already running (a retried launch) is returned again so its pod creation can be retried.
    """
    run = await session.get(Run, run_id)
    if run is None or run.status not in RunStatus.in_flight():
        return None
    check = await session.get(Check, run.check_id)
    cluster = await session.get(Cluster, run.cluster_id)
    if check is None or cluster is None:
        return None
    if run.status is RunStatus.PENDING:
        deadline = now + timedelta(seconds=check.timeout_seconds)
        name = pod_name(check.name, run.id)
        started = await session.exec(
            sa.update(Run)
            .where(Run.id == run.id, Run.status == RunStatus.PENDING)  # type: ignore[arg-type]
            .values(
                status=RunStatus.RUNNING,
                started_at=now,
                deadline_at=deadline,
                pod_name=name,
                pod_namespace=check.namespace,
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if started.rowcount != 1:
            return None
        await session.refresh(run)
    assert run.deadline_at is not None
    launch = PodLaunch(
        run_id=run.id,
        check_id=check.id,
        check_name=check.name,
        namespace=check.namespace,
        pod_spec=check.pod_spec,
        deadline=run.deadline_at,
        reporting_url=reporting_url(public_url, run.id),
        extra_labels=check.extra_labels,
        extra_annotations=check.extra_annotations,
    )
    return LaunchPlan(run, check, cluster, build_pod_manifest(launch))


async def create_pod(client: ClusterClient, plan: LaunchPlan) -> dict[str, object]:
    """Create the pod; a pod left by an earlier attempt of this launch is taken as it is."""
    namespace = plan.check.namespace
    try:
        return await client.create_pod(namespace, plan.manifest)
    except KubeError as error:
        if error.already_exists and plan.run.pod_name:
            existing = await client.get_pod(namespace, plan.run.pod_name)
            if existing is not None:
                return existing
        raise


async def fail_launch(
    session: AsyncSession, run_id: uuid.UUID, error: KubeError, *, now: datetime
) -> bool:
    reason = FailureReason.LAUNCH_FAILED if error.transient else FailureReason.API_REJECTED
    decided = await decide_run(
        session,
        run_id,
        execution_error(reason, f"creating the checker pod failed: {error}"),
        now=now,
    )
    await session.commit()
    return decided
