"""Retention: raw runs (with logs and pod events), the event log and rollups are each pruned past
their own window, in small batches, counted in logs and metrics; rollups outlive the runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, func, select

from app.db import SessionFactory
from app.domain.history_window import UptimeWindow, preset_span
from app.domain.rollup import RollupStep
from app.models import (
    Check,
    CheckCluster,
    Cluster,
    ConnectionKind,
    Event,
    Run,
    RunEvent,
    RunLog,
    RunRollup,
    RunRollupBin,
    RunStatus,
)
from app.services.housekeeping import Retention, prune_history
from app.services.uptime import uptimes
from tests.fixtures.history import decided_run
from tests.fixtures.logs import LogFile
from tests.fixtures.statements import counting_statements

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RETENTION = Retention(
    runs=timedelta(days=30),
    events=timedelta(days=30),
    hourly_rollups=timedelta(days=90),
    daily_rollups=timedelta(days=400),
    batch_size=2,
)


async def a_check(session_factory: SessionFactory) -> tuple[Check, Cluster]:
    cluster = Cluster(name="kept", connection_kind=ConnectionKind.LOCAL)
    check = Check(name="old", namespace="default", pod_spec={"containers": []}, timeout_seconds=30)
    async with session_factory.begin() as session:
        session.add_all([cluster, check])
        await session.flush()
        session.add(CheckCluster(check_id=check.id, cluster_id=cluster.id))
    return check, cluster


async def runs_aged(
    session_factory: SessionFactory, check: Check, cluster: Cluster, ages: list[timedelta]
) -> list[uuid.UUID]:
    run_ids = []
    for age in ages:
        run_id = await decided_run(
            session_factory,
            check.id,
            cluster.id,
            scheduled_at=NOW - age,
            status=RunStatus.SUCCEEDED,
            duration=timedelta(seconds=2),
        )
        run_ids.append(run_id)
    async with session_factory.begin() as session:
        for run_id in run_ids:
            session.add(RunLog(run_id=run_id, container="c", content="output"))
            session.add(RunEvent(run_id=run_id, type="Normal", reason="Pulled", message="ok"))
    return run_ids


async def count(session_factory: SessionFactory, model: type, *where: object) -> int:
    async with session_factory() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int((await session.exec(query)).one())


def metric(kind: str, name: str = "patrol_history_pruned_total") -> float:
    return REGISTRY.get_sample_value(name, {"kind": kind}) or 0.0


async def test_runs_past_retention_go_with_their_logs_and_events_and_their_rollups_stay(
    session_factory: SessionFactory, json_logs: LogFile
) -> None:
    check, cluster = await a_check(session_factory)
    old = await runs_aged(
        session_factory, check, cluster, [timedelta(days=40, hours=n) for n in range(5)]
    )
    recent = await runs_aged(session_factory, check, cluster, [timedelta(days=1)])
    before = metric("runs")

    pruned = await prune_history(session_factory, RETENTION, now=NOW)

    assert pruned.runs == 5
    async with session_factory() as session:
        remaining = set((await session.exec(select(Run.id))).all())
    assert remaining == set(recent)
    assert await count(session_factory, RunLog, col(RunLog.run_id).in_(old)) == 0
    assert await count(session_factory, RunEvent, col(RunEvent.run_id).in_(old)) == 0
    assert await count(session_factory, RunLog) == 1
    assert metric("runs") - before == 5
    (record,) = json_logs.records("history pruned")
    assert record["pruned_runs"] == 5
    # The pruned runs are still counted: within 400 days, from their daily buckets.
    async with session_factory() as session:
        year = await uptimes(session, [check.id], preset_span(UptimeWindow.D365, NOW))
    assert year[check.id].overall.tally.runs == 6


async def test_runs_are_pruned_in_batches_of_one_transaction_each(
    session_factory: SessionFactory, engine: AsyncEngine
) -> None:
    check, cluster = await a_check(session_factory)
    await runs_aged(session_factory, check, cluster, [timedelta(days=31 + n) for n in range(5)])
    batches = metric("runs", "patrol_history_prune_batches_total")

    with counting_statements(engine) as statements:
        await prune_history(session_factory, RETENTION, now=NOW)

    deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE FROM RUN ")]
    # 2 + 2 + 1 runs: three batches, the last one short.
    assert len(deletes) == 3
    assert metric("runs", "patrol_history_prune_batches_total") - batches == 3
    assert await count(session_factory, Run) == 0


async def test_events_past_their_retention_are_pruned(session_factory: SessionFactory) -> None:
    check, cluster = await a_check(session_factory)
    await runs_aged(session_factory, check, cluster, [timedelta(days=1)])
    async with session_factory.begin() as session:
        for event in (await session.exec(select(Event))).all():
            event.at = NOW - timedelta(days=45)
    await runs_aged(session_factory, check, cluster, [timedelta(hours=1)])
    kept = await count(session_factory, Event, col(Event.at) >= NOW - timedelta(days=30))

    pruned = await prune_history(session_factory, RETENTION, now=NOW)

    assert pruned.counts["events"] > 0
    assert await count(session_factory, Event) == kept > 0


async def test_hourly_buckets_go_before_daily_ones(session_factory: SessionFactory) -> None:
    check, cluster = await a_check(session_factory)
    await runs_aged(
        session_factory, check, cluster, [timedelta(days=100), timedelta(days=500), timedelta(0)]
    )

    pruned = await prune_history(session_factory, RETENTION, now=NOW)

    assert pruned.counts["hourly_rollups"] == 2 and pruned.counts["daily_rollups"] == 1
    async with session_factory() as session:
        rollups = (await session.exec(select(RunRollup.step, RunRollup.bucket_start))).all()
        bins = (await session.exec(select(RunRollupBin.step, RunRollupBin.bucket_start))).all()
    day = datetime(2024, 11, 21, tzinfo=UTC)  # 100 days before NOW
    assert sorted(rollups) == sorted(
        [(RollupStep.HOUR, NOW), (RollupStep.DAY, NOW.replace(hour=0)), (RollupStep.DAY, day)]
    )
    assert sorted(bins) == sorted(rollups)
