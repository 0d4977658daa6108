"""Recording checkers' reports. Reports are decided by conditional updates, many per transaction
(group commit); a lookup happens only to tell a checker why it was refused. Nothing here waits
for Kubernetes or Redis: workers find decided runs to finalize in the database."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.report import Report
from app.models import Run, RunStatus
from app.services.outcome import Outcome, check_failed, decide_run, succeeded


class Verdict(enum.Enum):
    """What became of a report."""

    ACCEPTED = "accepted"
    INVALID = "invalid"  # the body is not a report
    UNIDENTIFIED = "unidentified"  # it does not prove which run it is for
    UNKNOWN_RUN = "unknown_run"
    NOT_STARTED = "not_started"
    ALREADY_DECIDED = "already_decided"
    TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class ReportResult:
    verdict: Verdict
    message: str
    # The run the report is for; for UNIDENTIFIED, the run it claimed, if any.
    run_id: uuid.UUID | None = None


async def record_reports(
    session: AsyncSession, reports: Sequence[tuple[uuid.UUID, Report]], *, now: datetime
) -> list[ReportResult]:
    """Decide many runs in one transaction; results come back in the order of `reports`.

    The first report for a run wins, also within one batch.
    """
    decided: set[uuid.UUID] = set()
    winners: dict[uuid.UUID, int] = {}
    for index, (run_id, _) in enumerate(reports):
        winners.setdefault(run_id, index)
    passing = [run_id for run_id, index in winners.items() if reports[index][1].ok]
    if passing:
        decided |= await _decide_many(session, passing, succeeded(), now)
    for run_id, index in winners.items():
        report = reports[index][1]
        if not report.ok and await decide_run(
            session, run_id, check_failed(report.errors), now=now, not_after=now
        ):
            decided.add(run_id)
    await session.commit()
    refused = {run_id for run_id in winners if run_id not in decided}
    reasons = await _refusals(session, refused, now) if refused else {}
    results = []
    for index, (run_id, _) in enumerate(reports):
        if winners[run_id] == index and run_id in decided:
            results.append(ReportResult(Verdict.ACCEPTED, "report recorded", run_id))
        elif run_id in decided:
            results.append(
                ReportResult(Verdict.ALREADY_DECIDED, f"run {run_id} was already decided", run_id)
            )
        else:
            results.append(reasons[run_id])
    return results


async def _decide_many(
    session: AsyncSession, run_ids: list[uuid.UUID], outcome: Outcome, now: datetime
) -> set[uuid.UUID]:
    result = await session.exec(
        sa.update(Run)
        .where(
            col(Run.id).in_(run_ids),
            col(Run.status).in_(RunStatus.in_flight()),
            col(Run.deadline_at) >= now,
        )
        .values(
            status=outcome.status,
            ok=outcome.ok,
            errors=list(outcome.errors),
            failure_reason=outcome.failure_reason,
            finished_at=now,
        )
        .returning(col(Run.id))
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars().all())


async def _refusals(
    session: AsyncSession, run_ids: set[uuid.UUID], now: datetime
) -> dict[uuid.UUID, ReportResult]:
    rows = await session.exec(
        select(Run.id, Run.status, Run.deadline_at).where(col(Run.id).in_(list(run_ids)))
    )
    known = {run_id: (status, deadline) for run_id, status, deadline in rows.all()}
    reasons = {}
    for run_id in run_ids:
        if run_id not in known:
            reasons[run_id] = ReportResult(Verdict.UNKNOWN_RUN, f"unknown run {run_id}", run_id)
            continue
        raw_status, deadline = known[run_id]
        status = RunStatus(raw_status)
        past_deadline = deadline is not None and now > deadline
        if status is RunStatus.TIMED_OUT or (past_deadline and not status.is_terminal):
            reasons[run_id] = ReportResult(
                Verdict.TOO_LATE, f"run {run_id} is past its deadline", run_id
            )
        elif status.is_terminal:
            message = f"run {run_id} was already decided ({status.value})"
            reasons[run_id] = ReportResult(Verdict.ALREADY_DECIDED, message, run_id)
        else:
            reasons[run_id] = ReportResult(
                Verdict.NOT_STARTED, f"run {run_id} has not started", run_id
            )
    return reasons
