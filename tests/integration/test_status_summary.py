"""The dashboard's 24 h figures (today's daily bucket standing in for today's hours, none of
which lie ahead of now) equal a check's H24 uptime read from hourly buckets, at any hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db import SessionFactory
from app.domain.history_window import UptimeWindow, preset_span
from app.domain.run_lifecycle import RunStatus
from app.models import Check, CheckCluster, Cluster, ConnectionKind
from app.services import dashboard
from app.services.listing import CheckFilter
from app.services.uptime import uptimes
from tests.fixtures.history import decided_run

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
