"""Repairing what lost jobs, dead workers or outside hands left behind, from the database alone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import Check, Run, RunStatus
from app.services.observe import run_id_of
from app.services.outcome import decide_run, timed_out

DEADLINE_GRACE = timedelta(seconds=5)
STUCK_AFTER = timedelta(seconds=30)
# A decided run is finalized within seconds; only a pod this far past its deadline is fair game.
REAP_AFTER_DEADLINE = timedelta(minutes=5)


@dataclass(slots=True)
class Repairs:
    timed_out: list[uuid.UUID] = field(default_factory=list)
    relaunch: list[uuid.UUID] = field(default_factory=list)


async def find_repairs(session: AsyncSession, *, now: datetime, limit: int = 500) -> Repairs:
    repairs = Repairs()
    overdue = await session.exec(
        select(Run.id, Check.namespace, Check.name)
        .join(Check, Check.id == Run.check_id)  # type: ignore[arg-type]
        .where(
            Run.status == RunStatus.RUNNING,
            Run.deadline_at < now - DEADLINE_GRACE,  # type: ignore[operator]
        )
        .limit(limit)
    )
    for run_id, namespace, name in overdue.all():
        if await decide_run(session, run_id, timed_out(namespace, name), now=now):
            repairs.timed_out.append(run_id)
    await session.commit()
    repairs.relaunch = list(
        (
            await session.exec(
                select(Run.id)
                .where(Run.status == RunStatus.PENDING, Run.created_at < now - STUCK_AFTER)
                .limit(limit)
            )
        ).all()
    )
    return repairs


async def pods_to_reap(
    session: AsyncSession, pods: list[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """Patrol pods that no undecided-or-unfinalized run needs: run unknown, finalized, or far past
    its deadline."""
    by_run = {run_id: pod for pod in pods if (run_id := run_id_of(pod)) is not None}
    orphans = [pod for pod in pods if run_id_of(pod) is None]
    if not by_run:
        return orphans
    rows = await session.exec(
        select(Run.id, Run.finalized_at, Run.deadline_at).where(Run.id.in_(list(by_run)))  # type: ignore[attr-defined]
    )
    known = {run_id: (finalized, deadline) for run_id, finalized, deadline in rows.all()}
    reap = list(orphans)
    for run_id, pod in by_run.items():
        if run_id not in known:
            reap.append(pod)
            continue
        finalized, deadline = known[run_id]
        if finalized is not None or (deadline is not None and deadline < now - REAP_AFTER_DEADLINE):
            reap.append(pod)
    return reap
