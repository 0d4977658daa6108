"""Deciding a run's outcome: one compare-and-set, so report, deadline, watcher and cancellation
can race and exactly one of them wins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import FailureReason, Run, RunStatus
from app.models.columns import utcnow


@dataclass(frozen=True, slots=True)
class Outcome:
    status: RunStatus
    errors: tuple[str, ...] = ()
    failure_reason: FailureReason | None = None

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED


def succeeded() -> Outcome:
    return Outcome(RunStatus.SUCCEEDED)


def check_failed(errors: Sequence[str]) -> Outcome:
    return Outcome(RunStatus.FAILED, tuple(errors), FailureReason.CHECK_FAILED)


def execution_error(reason: FailureReason, message: str) -> Outcome:
    return Outcome(RunStatus.ERROR, (message,), reason)


def timed_out(namespace: str, check_name: str) -> Outcome:
    return Outcome(
        RunStatus.TIMED_OUT,
        (
            f"Check execution error: {namespace}/{check_name}: "
            "timed out waiting for checker pod to report in",
        ),
        FailureReason.TIMED_OUT,
    )


def cancelled(message: str) -> Outcome:
    return Outcome(RunStatus.CANCELLED, (message,), FailureReason.CANCELLED)


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
