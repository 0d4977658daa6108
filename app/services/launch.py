"""Launching a run: mark it running with its deadline, then create its checker pod."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.kube import ClusterClient, ClusterConfigError, KubeError
from app.domain.manifest import PodLaunch, build_pod_manifest, pod_name, reporting_url
from app.domain.run_lifecycle import EXECUTION, FailureReason, execution_error
from app.keyring import Keyring
from app.logging import get_logger
from app.metrics import RUNS_LAUNCHED, SCHEDULER_LAG
from app.models import Check, Cluster, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services import run_state
from app.services.followups import enqueue_finalize
from app.services.ports import EventNudges, Execution
from app.services.report_identity import report_secret
from app.services.run_context import run_with_context

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    run: Run
    check: Check
    cluster: Cluster
    manifest: dict[str, object]


async def start_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    public_url: str,
    keyring: Keyring,
    now: datetime,
    nudges: EventNudges,
) -> LaunchPlan | None:
    """Move a pending run to running (CAS) and return what to create; None if it is not pending.

    A run already running (a retried launch) is returned again so its pod creation can be retried.
    """
    loaded = await run_with_context(session, run_id)
    if loaded is None or loaded[0].status not in RunStatus.in_flight():
        return None
    run, check, cluster = loaded
    if run.status is RunStatus.PENDING:
        deadline = now + timedelta(seconds=check.timeout_seconds)
        name = pod_name(check.name, run.id)
        started = await run_state.start(
            session,
            run.id,
            now=now,
            deadline=deadline,
            pod_name=name,
            pod_namespace=check.namespace,
        )
        await session.commit()
        if not started:
            return None
        nudges.events_appended()
        run.status, run.started_at, run.deadline_at = RunStatus.RUNNING, now, deadline
        run.pod_name, run.pod_namespace = name, check.namespace
    assert run.deadline_at is not None
    launch = PodLaunch(
        run_id=run.id,
        check_id=check.id,
        check_name=check.name,
        namespace=check.namespace,
        pod_spec=check.pod_spec,
        deadline=run.deadline_at,
        # Clusters reach Patrol at different addresses: the cluster's own URL comes first.
        reporting_url=reporting_url(
            cluster.report_url or public_url, run.id, report_secret(keyring, run.id)
        ),
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
    session: AsyncSession,
    run_id: uuid.UUID,
    error: KubeError,
    *,
    now: datetime,
    nudges: EventNudges,
) -> bool:
    """Decide a run whose pod cannot be created. Commits."""
    reason = (
        FailureReason.LAUNCH_FAILED
        if error.transient or isinstance(error, ClusterConfigError)
        else FailureReason.API_REJECTED
    )
    outcome = execution_error(reason, f"creating the checker pod failed: {error}")
    decided = await run_state.decide_one(session, run_id, outcome, EXECUTION, now=now)
    await session.commit()
    if decided is None:
        return False
    nudges.events_appended()
    run_state.announce([decided])
    return True


class LaunchResult(enum.Enum):
    LAUNCHED = "launched"
    NOT_PENDING = "not pending"
    RETRY = "retry"  # a transient API error, with time left before the deadline
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class LaunchAttempt:
    result: LaunchResult
    # For RETRY: seconds to wait first, at least what a throttling API server asked for.
    retry_in: float = 0.0


async def launch(runtime: Execution, run_id: uuid.UUID, *, retry_in: float) -> LaunchAttempt:
    """Start the run and create its pod. Safe to repeat: a second call finds the run started
    and, at most, the pod already there."""
    async with runtime.session_factory() as session:
        plan = await start_run(
            session,
            run_id,
            public_url=runtime.require_public_url(),
            keyring=runtime.keyring,
            now=utcnow(),
            nudges=runtime.event_nudges,
        )
    if plan is None:
        return LaunchAttempt(LaunchResult.NOT_PENDING)
    deadline = plan.run.deadline_at
    assert deadline is not None
    try:
        await create_pod(runtime.kube.client(plan.cluster), plan)
    except KubeError as error:
        pause = max(retry_in, error.retry_after or 0.0)
        if error.transient and utcnow() + timedelta(seconds=pause) < deadline:
            log.warning(
                "pod creation failed; retrying",
                run_id=str(run_id),
                error=str(error),
                retry_in_seconds=pause,
            )
            return LaunchAttempt(LaunchResult.RETRY, pause)
        async with runtime.session_factory() as session:
            if await fail_launch(session, run_id, error, now=utcnow(), nudges=runtime.event_nudges):
                await enqueue_finalize(runtime.queue, run_id)
        log.warning("pod creation failed", run_id=str(run_id), error=str(error))
        return LaunchAttempt(LaunchResult.FAILED)
    RUNS_LAUNCHED.labels(trigger=plan.run.trigger.value).inc()
    if plan.run.trigger is RunTrigger.SCHEDULE:
        SCHEDULER_LAG.observe(max(0.0, (utcnow() - plan.run.scheduled_at).total_seconds()))
    log.info("run launched", run_id=str(run_id), check=plan.check.name, cluster=plan.cluster.name)
    return LaunchAttempt(LaunchResult.LAUNCHED)
