"""The dashboard's 24 h figures (today's daily bucket standing in for today's hours, none of
which lie ahead of now, and yesterday's hours read as hours or as yesterday's daily bucket minus
the hours before the window) equal a check's H24 uptime read from hourly buckets, and the raw
runs counted directly, at any hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from app.db import SessionFactory
from app.domain.history_window import UptimeWindow, preset_span
from app.domain.rollup import Tally, counts, tally_of
from app.domain.run_lifecycle import RunStatus
from app.models import Check, CheckCluster, Cluster, ConnectionKind, Run
from app.services import dashboard
from app.services.listing import CheckFilter
from app.services.uptime import uptimes
from tests.fixtures.history import decided_run
from tests.fixtures.statements import counting_statements

MIDNIGHT = datetime(2025, 6, 2, tzinfo=UTC)
STATUSES = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SUCCEEDED, RunStatus.ERROR]


async def a_check_with_runs_until(session_factory: SessionFactory, now: datetime) -> Check:
    cluster = Cluster(name="c", connection_kind=ConnectionKind.LOCAL)
    check = Check(name="k", namespace="default", pod_spec={"containers": []}, timeout_seconds=30)
    async with session_factory.begin() as session:
        session.add_all([cluster, check])
        await session.flush()
        session.add(CheckCluster(check_id=check.id, cluster_id=cluster.id))
    # One run every 50 minutes from 30 hours before midnight until now (none lie ahead).
    first = MIDNIGHT - timedelta(hours=30)
    for number in range(int((now - first) / timedelta(minutes=50)) + 1):
        await decided_run(
            session_factory,
            check.id,
            cluster.id,
            scheduled_at=first + timedelta(minutes=50 * number),
            status=STATUSES[number % len(STATUSES)],
            duration=timedelta(seconds=1),
        )
    return check


@pytest.mark.parametrize("hours_after_midnight", [-1, 0, 1, 12, 23])
async def test_the_summary_counts_what_the_h24_uptime_counts(
    session_factory: SessionFactory, hours_after_midnight: int
) -> None:
    now = MIDNIGHT + timedelta(hours=hours_after_midnight, minutes=59)
    check = await a_check_with_runs_until(session_factory, now)

    async with session_factory() as session:
        summary = await dashboard.status_summary(session, CheckFilter(), now=now)
        hourly = await uptimes(session, [check.id], preset_span(UptimeWindow.H24, now))

    (found,) = summary.checks
    expected = hourly[check.id].overall.tally
    assert found.tally.runs == expected.runs > 0
    assert (found.tally.successes, found.tally.failures, found.tally.errors) == (
        expected.successes,
        expected.failures,
        expected.errors,
    )


CHECKPOINTS = [-1, 0, 1, 5, 11, 12, 13, 18, 23]  # hours after midnight; both ways of reading


async def test_the_24h_window_across_midnight_equals_counting_the_runs(
    session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    """Yesterday's hours in the window are read as hours, or as yesterday's daily bucket minus
    the hours before the window: either way the figures are those of the raw runs."""
    clusters = [Cluster(name=name, connection_kind=ConnectionKind.LOCAL) for name in "ab"]
    check = Check(name="k", namespace="default", pod_spec={"containers": []}, timeout_seconds=30)
    async with session_factory.begin() as session:
        session.add_all([*clusters, check])
        await session.flush()
        session.add_all(CheckCluster(check_id=check.id, cluster_id=c.id) for c in clusters)
    statuses = [*STATUSES, RunStatus.TIMED_OUT, RunStatus.CANCELLED]
    at, number = MIDNIGHT - timedelta(hours=30), 0
    for hours_after_midnight in CHECKPOINTS:
        now = MIDNIGHT + timedelta(hours=hours_after_midnight, minutes=59)
        while at <= now:  # runs up to now, none ahead of it
            await decided_run(
                session_factory,
                check.id,
                clusters[number % 2].id,
                scheduled_at=at,
                status=statuses[number % len(statuses)],
                duration=timedelta(seconds=1),
            )
            at, number = at + timedelta(minutes=35), number + 1

        with counting_statements(engine) as statements:
            async with session_factory() as session:
                summary = await dashboard.status_summary(session, CheckFilter(), now=now)
        span = preset_span(UptimeWindow.H24, now)
        async with session_factory() as session:
            runs = (
                await session.exec(
                    select(Run).where(
                        Run.check_id == check.id,
                        Run.scheduled_at >= span.start,
                        Run.scheduled_at < span.end,
                    )
                )
            ).all()

        expected = {cluster.id: Tally() for cluster in clusters}
        for run in runs:
            if counts(run.status):
                expected[run.cluster_id] += tally_of(run.status, None)
        (found,) = summary.checks
        assert {cluster.cluster_id: cluster.tally for cluster in found.clusters} == expected
        assert all(tally.runs > 0 for tally in expected.values())
        assert found.runs == sum(tally.runs for tally in expected.values())
        assert len(statements) == 1, statements
