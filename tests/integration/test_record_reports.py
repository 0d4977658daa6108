"""Recording many reports in one transaction (group commit) decides each run exactly once."""

import asyncio
import uuid
from datetime import timedelta

from app.db import SessionFactory
from app.domain.report import Report
from app.models import Check, Cluster, ConnectionKind, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services.report_batcher import ReportBatcher
from app.services.reports import Verdict, record_reports
from tests.fixtures.nudges import RecordedNudges

OK, BROKEN = Report(True, ()), Report(False, ("disk full",))


async def running_runs(
    session_factory: SessionFactory, count: int, *, deadline_in: float = 60
) -> list[uuid.UUID]:
    now = utcnow()
    cluster = Cluster(name="c", connection_kind=ConnectionKind.LOCAL, api_url="http://127.0.0.1:9")
    checks = [
        Check(
            name=f"check-{n}",
            namespace="default",
            pod_spec={"containers": [{"name": "c", "image": "x"}]},
            timeout_seconds=60,
        )
        for n in range(count)
    ]
    runs = [
        Run(
            check_id=check.id,
            cluster_id=cluster.id,
            check_version=1,
            trigger=RunTrigger.API,
            status=RunStatus.RUNNING,
            scheduled_at=now,
            started_at=now,
            deadline_at=now + timedelta(seconds=deadline_in),
        )
        for check in checks
    ]
    async with session_factory() as session:
        session.add(cluster)
        session.add_all(checks)
        await session.flush()
        session.add_all(runs)
        await session.commit()
    return [run.id for run in runs]


async def test_one_transaction_decides_each_run_once_and_explains_every_refusal(
    session_factory: SessionFactory, event_nudges: RecordedNudges
) -> None:
    passing, failing, twice = await running_runs(session_factory, 3)
    unknown = uuid.uuid4()
    async with session_factory() as session:
        results = await record_reports(
            session,
            [(passing, OK), (failing, BROKEN), (twice, BROKEN), (twice, OK), (unknown, OK)],
            now=utcnow(),
            nudges=event_nudges,
        )
    assert [result.verdict for result in results] == [
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.ALREADY_DECIDED,
        Verdict.UNKNOWN_RUN,
    ]
    assert "unknown run" in results[4].message
    assert event_nudges.count == 1  # readers of the event log are woken once, after the commit
    async with session_factory() as session:
        decided = {run_id: await session.get(Run, run_id) for run_id in (passing, failing, twice)}
    assert decided[passing].status is RunStatus.SUCCEEDED  # type: ignore[union-attr]
    assert decided[failing].errors == ["disk full"]  # type: ignore[union-attr]
    assert decided[twice].status is RunStatus.FAILED  # type: ignore[union-attr]


async def test_reports_past_the_deadline_are_too_late_and_change_nothing(
    session_factory: SessionFactory, event_nudges: RecordedNudges
) -> None:
    (late,) = await running_runs(session_factory, 1, deadline_in=-5)
    async with session_factory() as session:
        (result,) = await record_reports(session, [(late, OK)], now=utcnow(), nudges=event_nudges)
    assert result.verdict is Verdict.TOO_LATE
    assert event_nudges.count == 0
    async with session_factory() as session:
        assert (await session.get(Run, late)).status is RunStatus.RUNNING  # type: ignore[union-attr]


async def test_concurrent_reports_through_the_batcher_each_get_their_own_answer(
    session_factory: SessionFactory, event_nudges: RecordedNudges
) -> None:
    run_ids = await running_runs(session_factory, 40)
    batcher = ReportBatcher(session_factory, event_nudges)
    task = asyncio.create_task(batcher.run())
    try:
        results = await asyncio.gather(
            *(batcher.record(run_id, OK) for run_id in run_ids + run_ids[:5])
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    verdicts = [result.verdict for result in results]
    assert verdicts[:40] == [Verdict.ACCEPTED] * 40
    assert verdicts[40:] == [Verdict.ALREADY_DECIDED] * 5


async def test_a_report_for_a_run_already_timed_out_is_too_late_not_a_duplicate(
    session_factory: SessionFactory, event_nudges: RecordedNudges
) -> None:
    (run_id,) = await running_runs(session_factory, 1, deadline_in=-5)
    async with session_factory() as session:
        from app.services.reconcile import time_out_overdue_runs

        timed_out = await time_out_overdue_runs(session, now=utcnow(), nudges=event_nudges)
        assert timed_out == [run_id] and event_nudges.count == 1
        (result,) = await record_reports(session, [(run_id, OK)], now=utcnow(), nudges=event_nudges)
    assert result.verdict is Verdict.TOO_LATE and event_nudges.count == 1
