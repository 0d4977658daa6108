"""Rollups equal a direct aggregation of the raw runs, whatever the order in which runs are
decided, wherever they fall against bucket boundaries, and when raw runs are pruned in between."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.db import SessionFactory
from app.domain.rollup import RollupStep, bin_of, bucket_start, counts, duration_ms
from app.domain.run_lifecycle import EXECUTION, FailureReason, Outcome, RunStatus, RunTrigger
from app.models import Check, CheckCluster, Cluster, ConnectionKind, Run, RunRollup, RunRollupBin
from app.services import run_state
from app.services.housekeeping import Retention, prune_history

# Two hours before a day boundary: histories cross hours and a day.
BASE = datetime(2024, 5, 1, 22, 0, tzinfo=UTC)
BOUNDARIES = [3600 * hours + nudge for hours in range(5) for nudge in (-1, 0, 1)]
OUTCOMES = {
    RunStatus.SUCCEEDED: None,
    RunStatus.FAILED: FailureReason.CHECK_FAILED,
    RunStatus.TIMED_OUT: FailureReason.TIMED_OUT,
    RunStatus.ERROR: FailureReason.IMAGE_PULL,
    RunStatus.CANCELLED: FailureReason.CANCELLED,
}
KEEP_ROLLUPS = timedelta(days=100_000)


@dataclass(frozen=True)
class Planned:
    cluster: int
    scheduled_seconds: int
    started: bool
    duration_ms: int
    status: RunStatus


planned_runs = st.builds(
    Planned,
    cluster=st.integers(0, 2),
    scheduled_seconds=st.one_of(st.integers(0, 5 * 3600), st.sampled_from(BOUNDARIES)),
    started=st.booleans(),
    duration_ms=st.one_of(st.integers(0, 3_000), st.integers(0, 10**7)),
    status=st.sampled_from(list(OUTCOMES)),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Planned], list[int], int, int]:
    runs = draw(st.lists(planned_runs, min_size=1, max_size=14))
    order = draw(st.permutations(range(len(runs))))
    prune_at = draw(st.integers(0, len(runs)))
    prune_cutoff_seconds = draw(st.integers(0, 6 * 3600))
    return runs, order, prune_at, prune_cutoff_seconds


async def a_check_in_three_clusters(session_factory: SessionFactory) -> tuple[Check, list[Cluster]]:
    suffix = uuid.uuid4().hex[:8]
    clusters = [
        Cluster(name=f"c{n}-{suffix}", connection_kind=ConnectionKind.LOCAL) for n in range(3)
    ]
    check = Check(
        name=f"rolled-{suffix}",
        namespace="default",
        pod_spec={"containers": [{"name": "c", "image": "x"}]},
        timeout_seconds=30,
    )
    async with session_factory.begin() as session:
        session.add_all([*clusters, check])
        await session.flush()
        session.add_all([CheckCluster(check_id=check.id, cluster_id=c.id) for c in clusters])
    return check, clusters


async def create_and_decide(
    session_factory: SessionFactory, check: Check, cluster: Cluster, plan: Planned, number: int
) -> None:
    # A few microseconds apart: two runs never share a slot.
    scheduled = BASE + timedelta(seconds=plan.scheduled_seconds, microseconds=number)
    run = Run(
        check_id=check.id,
        cluster_id=cluster.id,
        check_version=1,
        trigger=RunTrigger.SCHEDULE,
        scheduled_at=scheduled,
    )
    started = scheduled + timedelta(milliseconds=250)
    async with session_factory.begin() as session:
        await run_state.create(session, [run], now=scheduled)
        if plan.started:
            assert await run_state.start(
                session,
                run.id,
                now=started,
                deadline=started + timedelta(days=365),
                pod_name="p",
                pod_namespace="default",
            )
    finished = (started if plan.started else scheduled) + timedelta(milliseconds=plan.duration_ms)
    outcome = Outcome(plan.status, failure_reason=OUTCOMES[plan.status])
    async with session_factory.begin() as session:
        assert await run_state.decide_one(session, run.id, outcome, EXECUTION, now=finished)


async def raw_runs(session_factory: SessionFactory, check: Check) -> dict[uuid.UUID, Run]:
    async with session_factory() as session:
        runs = (await session.exec(select(Run).where(col(Run.check_id) == check.id))).all()
    return {run.id: run for run in runs if run.status.is_terminal}


def aggregate(
    runs: list[Run],
) -> tuple[dict[tuple[object, ...], tuple[object, ...]], Counter[tuple[object, ...]]]:
    """Buckets and histogram bins computed straight from raw runs, the obvious way."""
    members: dict[tuple[object, ...], list[Run]] = defaultdict(list)
    for run in runs:
        if counts(run.status):
            for step in RollupStep:
                members[(step, bucket_start(run.scheduled_at, step), run.cluster_id)].append(run)
    buckets: dict[tuple[object, ...], tuple[object, ...]] = {}
    bins: Counter[tuple[object, ...]] = Counter()
    for key, group in members.items():
        durations = [
            d
            for d in (duration_ms(run.started_at, run.finished_at) for run in group)
            if d is not None
        ]
        statuses = Counter(run.status for run in group)
        buckets[key] = (
            len(group),
            statuses[RunStatus.SUCCEEDED],
            statuses[RunStatus.FAILED],
            statuses[RunStatus.TIMED_OUT],
            statuses[RunStatus.ERROR],
            len(durations),
            sum(durations),
            min(durations, default=None),
            max(durations, default=None),
        )
        for duration in durations:
            bins[(*key, bin_of(duration))] += 1
    return buckets, bins


async def stored_rollups(
    session_factory: SessionFactory, check: Check
) -> tuple[dict[tuple[object, ...], tuple[object, ...]], Counter[tuple[object, ...]]]:
    async with session_factory() as session:
        rows = (
            await session.exec(select(RunRollup).where(col(RunRollup.check_id) == check.id))
        ).all()
        bin_rows = (
            await session.exec(select(RunRollupBin).where(col(RunRollupBin.check_id) == check.id))
        ).all()
    buckets = {
        (row.step, row.bucket_start, row.cluster_id): (
            row.runs,
            row.successes,
            row.failures,
            row.timeouts,
            row.errors,
            row.duration_count,
            row.duration_sum_ms,
            row.duration_min_ms,
            row.duration_max_ms,
        )
        for row in rows
    }
    bins = Counter(
        {(row.step, row.bucket_start, row.cluster_id, row.bin): row.count for row in bin_rows}
    )
    return buckets, bins


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
async def test_rollups_equal_an_aggregation_of_the_raw_runs(
    session_factory: SessionFactory, history: tuple[list[Planned], list[int], int, int]
) -> None:
    plans, order, prune_at, cutoff_seconds = history
    check, clusters = await a_check_in_three_clusters(session_factory)
    pruned: dict[uuid.UUID, Run] = {}
    for position, index in enumerate(order):
        if position == prune_at:
            pruned |= await raw_runs(session_factory, check)
            cutoff = BASE + timedelta(seconds=cutoff_seconds)
            retention = Retention(
                runs=timedelta(days=30),
                events=timedelta(days=30),
                hourly_rollups=KEEP_ROLLUPS,
                daily_rollups=KEEP_ROLLUPS,
                batch_size=3,
            )
            await prune_history(session_factory, retention, now=cutoff + timedelta(days=30))
        plan = plans[index]
        await create_and_decide(session_factory, check, clusters[plan.cluster], plan, index)

    every_run = pruned | await raw_runs(session_factory, check)
    assert len(every_run) == len(plans)
    assert await stored_rollups(session_factory, check) == aggregate(list(every_run.values()))
