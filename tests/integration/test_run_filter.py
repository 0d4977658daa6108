"""`runs` and `runUpdates` take the same filter: it selects the same runs in SQL (listing) and in
memory (live updates)."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest

from app.db import SessionFactory
from app.models import Check, Cluster, ConnectionKind, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from app.services.listing import RunFilter, list_runs

NOW = utcnow()
CHECKS = [uuid.uuid4(), uuid.uuid4()]
CLUSTERS = [uuid.uuid4(), uuid.uuid4()]
FILTERS = [
    RunFilter(),
    RunFilter(check_id=CHECKS[0]),
    RunFilter(cluster_id=CLUSTERS[1], statuses=[RunStatus.FAILED, RunStatus.ERROR]),
    RunFilter(trigger=RunTrigger.MANUAL, since=NOW - timedelta(minutes=2)),
    RunFilter(until=NOW - timedelta(minutes=1), statuses=[RunStatus.SUCCEEDED]),
    RunFilter(
        check_id=CHECKS[1], cluster_id=CLUSTERS[0], since=NOW - timedelta(minutes=3), until=NOW
    ),
]


@pytest.fixture
async def runs(session_factory: SessionFactory) -> list[Run]:
    combinations = itertools.product(
        CHECKS,
        CLUSTERS,
        [RunTrigger.SCHEDULE, RunTrigger.MANUAL],
        [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ERROR],
        [0, 1, 2, 3],
    )
    # A run per (check, cluster) slot: each a few milliseconds apart within its minute.
    made = [
        Run(
            check_id=check,
            cluster_id=cluster,
            check_version=1,
            trigger=trigger,
            status=status,
            scheduled_at=NOW - timedelta(minutes=minutes, milliseconds=index),
        )
        for index, (check, cluster, trigger, status, minutes) in enumerate(combinations)
    ]
    async with session_factory.begin() as session:
        for cluster in CLUSTERS:
            session.add(
                Cluster(
                    id=cluster, name=f"c-{cluster.hex[:8]}", connection_kind=ConnectionKind.LOCAL
                )
            )
        for check in CHECKS:
            session.add(
                Check(
                    id=check,
                    name=f"k-{check.hex[:8]}",
                    namespace="default",
                    pod_spec={"containers": [{"name": "c", "image": "x"}]},
                    timeout_seconds=30,
                )
            )
        await session.flush()
        session.add_all(made)
    return made


@pytest.mark.parametrize("where", FILTERS)
async def test_a_filter_admits_in_memory_the_runs_it_lists(
    session_factory: SessionFactory, runs: list[Run], where: RunFilter
) -> None:
    async with session_factory() as session:
        listed = {run.id for run in await list_runs(session, where, limit=len(runs))}
    admitted = {
        run.id
        for run in runs
        if where.admits(
            check_id=run.check_id,
            cluster_id=run.cluster_id,
            status=run.status,
            trigger=run.trigger,
            scheduled_at=run.scheduled_at,
        )
    }
    assert listed == admitted and 0 < len(listed) <= len(runs)
