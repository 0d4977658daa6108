"""Deciding a run's outcome: one compare-and-set, so report, deadline, watcher and cancellation
can race and exactly one of them wins."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.run_lifecycle import (
    Outcome,
    cancelled,
    check_failed,
    execution_error,
    succeeded,
    timed_out,
)
from app.models import Run, RunStatus
from app.models.columns import utcnow


async def decide_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    outcome: Outcome,
    *,
    now: datetime | None = None,
    not_after: datetime | None = None,
) -> bool:
    """Set the outcome if the run is still undecided (and, with `not_after`, its deadline has not
    passed). True when this call decided it; the caller commits and then acts on it."""
    conditions = [Run.id == run_id, Run.status.in_(RunStatus.in_flight())]  # type: ignore[attr-defined]
    if not_after is not None:
        conditions.append(Run.deadline_at >= not_after)  # type: ignore[operator]
    result = await session.exec(
        sa.update(Run)
        .where(*conditions)
        .values(
            status=outcome.status,
            ok=outcome.ok,
            errors=list(outcome.errors),
            failure_reason=outcome.failure_reason,
            finished_at=now or utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


__all__ = [
    "Outcome",
    "cancelled",
    "check_failed",
    "decide_run",
    "execution_error",
    "succeeded",
    "timed_out",
]
