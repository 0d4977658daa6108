"""Recording a checker's report. The request path does one conditional update (plus a lookup only
when it must tell the checker why it was refused) and never waits for Kubernetes."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.report import Report
from app.models import Run, RunStatus
from app.services.outcome import check_failed, decide_run, succeeded


class Verdict(enum.Enum):
    ACCEPTED = 200
    REJECTED = 400
    TOO_LATE = 410


@dataclass(frozen=True, slots=True)
class ReportResult:
    verdict: Verdict
    message: str
    run_id: uuid.UUID | None = None


async def run_of_pod_ip(session: AsyncSession, ip: str) -> uuid.UUID | None:
    """The undecided run whose checker pod has this IP (for clients that send no run id)."""
    found = await session.exec(
        select(Run.id)
        .where(Run.pod_ip == ip, Run.status.in_(RunStatus.in_flight()))  # type: ignore[attr-defined]
        .limit(2)
    )
    matches = found.all()
    return matches[0] if len(matches) == 1 else None


async def record_report(
    session: AsyncSession, run_id: uuid.UUID, report: Report, *, now: datetime
) -> ReportResult:
    outcome = succeeded() if report.ok else check_failed(report.errors)
    if await decide_run(session, run_id, outcome, now=now, not_after=now):
        await session.commit()
        return ReportResult(Verdict.ACCEPTED, "report recorded", run_id)
    await session.rollback()
    run = await session.get(Run, run_id)
    if run is None:
        return ReportResult(Verdict.REJECTED, f"unknown run {run_id}")
    if run.status.is_terminal:
        return ReportResult(
            Verdict.REJECTED, f"run {run_id} was already decided ({run.status.value})", run_id
        )
    if run.deadline_at is not None and now > run.deadline_at:
        return ReportResult(Verdict.TOO_LATE, f"run {run_id} is past its deadline", run_id)
    return ReportResult(Verdict.REJECTED, f"run {run_id} has not started", run_id)
