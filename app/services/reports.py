"""Recording checkers' reports. Reports are decided by conditional updates, many per transaction
(group commit); a lookup happens only to tell a checker why it was refused. Nothing here waits
for Kubernetes or Redis: workers find decided runs to finalize in the database."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.report import Report
from app.domain.run_lifecycle import REPORT, Refusal, check_failed, report_refusal, succeeded
from app.models import Run, RunStatus
from app.services import run_state
from app.services.ports import EventNudges


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
    session: AsyncSession,
    reports: Sequence[tuple[uuid.UUID, Report]],
    *,
    now: datetime,
    nudges: EventNudges,
) -> list[ReportResult]:
    """Decide many runs in one transaction; results come back in the order of `reports`.

    The first report for a run wins, also within one batch. A use case: it commits.
    """
    winners: dict[uuid.UUID, int] = {}
    for index, (run_id, _) in enumerate(reports):
        winners.setdefault(run_id, index)
    decisions = [
        (run_id, succeeded() if report.ok else check_failed(report.errors))
        for run_id, index in winners.items()
        for report in (reports[index][1],)
    ]
    decided_runs = await run_state.decide(session, decisions, REPORT, now=now)
    await session.commit()
    if decided_runs:
        nudges.events_appended()
    run_state.announce(decided_runs)
    decided = {run.run_id for run in decided_runs}
    refused = [run_id for run_id in winners if run_id not in decided]
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


_REFUSALS = {
    Refusal.UNKNOWN_RUN: (Verdict.UNKNOWN_RUN, "unknown run {run}"),
    Refusal.NOT_STARTED: (Verdict.NOT_STARTED, "run {run} has not started"),
    Refusal.ALREADY_DECIDED: (Verdict.ALREADY_DECIDED, "run {run} was already decided ({status})"),
    Refusal.TOO_LATE: (Verdict.TOO_LATE, "run {run} is past its deadline"),
}


async def _refusals(
    session: AsyncSession, run_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, ReportResult]:
    rows = await session.exec(
        select(Run.id, Run.status, Run.deadline_at).where(col(Run.id).in_(run_ids))
    )
    known = {run_id: (RunStatus(status), deadline) for run_id, status, deadline in rows.all()}
    reasons = {}
    for run_id in run_ids:
        status, deadline = known.get(run_id, (None, None))
        verdict, message = _REFUSALS[report_refusal(status, deadline, now)]
        text = message.format(run=run_id, status=status.value if status else "")
        reasons[run_id] = ReportResult(
            verdict, text, None if verdict is Verdict.UNKNOWN_RUN else run_id
        )
    return reasons
