"""One-shot runs of an existing check, now, without touching its periodic schedule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, InvalidInput
from app.models import Check, CheckCluster, Run, RunStatus, RunTrigger
from app.services import run_state
from app.services.checks import get_check
from app.services.clusters import listing, resolve_cluster_ids


async def trigger_check(
    session: AsyncSession,
    check_id: uuid.UUID,
    cluster_ids: Sequence[uuid.UUID] | None,
    *,
    trigger: RunTrigger = RunTrigger.MANUAL,
    now: datetime,
) -> list[Run]:
    """Create one pending run per cluster (all of the check's clusters when none are named).
    All or nothing: a cluster where the check already has a run in flight rejects the whole call.
    Only flushes: the caller commits, then dispatches the launches."""
    check = await get_check(session, check_id)
    assigned = set(
        (
            await session.exec(
                select(CheckCluster.cluster_id).where(CheckCluster.check_id == check_id)
            )
        ).all()
    )
    targets = await resolve_cluster_ids(session, cluster_ids) if cluster_ids else sorted(assigned)
    if not targets:
        raise InvalidInput(
            f"check {check.namespace}/{check.name} runs in no cluster", field="clusterIds"
        )
    unassigned = [cluster_id for cluster_id in targets if cluster_id not in assigned]
    if unassigned:
        noun = "cluster" if len(unassigned) == 1 else "clusters"
        raise InvalidInput(
            f"check {check.namespace}/{check.name} is not assigned to {noun} {listing(unassigned)}",
            field="clusterIds",
        )
    busy = (
        await session.exec(
            select(Run.cluster_id).where(
                Run.check_id == check_id,
                Run.cluster_id.in_(targets),  # type: ignore[attr-defined]
                Run.status.in_(RunStatus.in_flight()),  # type: ignore[attr-defined]
            )
        )
    ).all()
    if busy:
        raise _in_flight(check, busy[0])
    runs = [
        Run(
            check_id=check.id,
            cluster_id=cluster_id,
            check_version=check.version,
            trigger=trigger,
            scheduled_at=now,
        )
        for cluster_id in targets
    ]
    try:
        await run_state.create(session, runs, now=now)
    except IntegrityError:
        # Lost a race with another trigger or the scheduler; the caller rolls back.
        raise _in_flight(check, None) from None
    return runs


def _in_flight(check: Check, cluster_id: uuid.UUID | None) -> Conflict:
    where = f" in cluster {cluster_id}" if cluster_id else ""
    return Conflict(
        f"check {check.namespace}/{check.name} already has a run in flight{where}; "
        "wait for it to finish"
    )
