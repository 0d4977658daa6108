"""Writes rows straight to the database for read-side tests (runs have no mutations yet)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import SessionFactory
from app.domain.check_status import CheckHealth
from app.domain.rollup import RollupStep, bucket_start
from app.models import (
    Check,
    CheckCluster,
    CheckStatus,
    Cluster,
    ConnectionKind,
    Run,
    RunEvent,
    RunLog,
    RunRollup,
    RunStatus,
    RunTrigger,
)
from tests.api.builders import POD_SPEC

EPOCH = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def seed_fleet(
    session_factory: SessionFactory,
    *,
    checks: int,
    clusters: int = 3,
    runs_per_check: int = 2,
    namespaces: tuple[str, ...] = ("alpha", "beta"),
) -> dict[str, Any]:
    """`checks` checks spread over namespaces, each in two of `clusters` clusters, with runs."""
    cluster_rows = [
        Cluster(name=f"cluster-{i}", connection_kind=ConnectionKind.LOCAL) for i in range(clusters)
    ]
    check_rows: list[Check] = []
    run_rows: list[Run] = []
    links: list[CheckCluster] = []
    for i in range(checks):
        check = Check(
            name=f"check-{i:04d}",
            namespace=namespaces[i % len(namespaces)],
            labels={"tier": "gold" if i % 3 == 0 else "silver", "team": f"t{i % 2}"},
            pod_spec=POD_SPEC,
            timeout_seconds=30,
            run_interval_seconds=60,
            enabled=i % 4 != 0,
        )
        check_rows.append(check)
        homes = [cluster_rows[i % clusters], cluster_rows[(i + 1) % clusters]]
        links += [CheckCluster(check_id=check.id, cluster_id=c.id) for c in homes]
        for r in range(runs_per_check):
            run_rows.append(
                Run(
                    check_id=check.id,
                    cluster_id=homes[r % 2].id,
                    check_version=1,
                    trigger=RunTrigger.SCHEDULE if r % 2 == 0 else RunTrigger.MANUAL,
                    status=RunStatus.SUCCEEDED if r % 2 == 0 else RunStatus.FAILED,
                    scheduled_at=EPOCH + timedelta(minutes=r),
                    started_at=EPOCH + timedelta(minutes=r, seconds=1),
                    finished_at=EPOCH + timedelta(minutes=r, seconds=23.5),
                )
            )
    async with session_factory.begin() as session:
        session.add_all(cluster_rows)
        await session.flush()
        session.add_all(check_rows)
        await session.flush()
        session.add_all(links)
        session.add_all(run_rows)
    return {"clusters": cluster_rows, "checks": check_rows, "runs": run_rows}


async def seed_run_details(session_factory: SessionFactory, run_id: uuid.UUID) -> None:
    async with session_factory.begin() as session:
        session.add_all(
            [
                RunLog(run_id=run_id, container="check", content="pinging...\nok\n"),
                RunEvent(
                    run_id=run_id,
                    type="Normal",
                    reason="Pulled",
                    message="Container image pulled",
                    first_seen=EPOCH,
                    last_seen=EPOCH,
                ),
                RunEvent(
                    run_id=run_id,
                    type="Normal",
                    reason="Started",
                    message="Started container check",
                    first_seen=EPOCH + timedelta(seconds=2),
                ),
            ]
        )


async def seed_dashboard(
    session_factory: SessionFactory, *, checks: int, clusters: int = 3, now: datetime
) -> None:
    """`checks` checks in each of `clusters` clusters, each with a status and this hour's and
    today's rollups (9 runs, 8 successes, all this hour), written in bulk."""
    cluster_rows = [
        Cluster(name=f"dash-{n}", connection_kind=ConnectionKind.LOCAL) for n in range(clusters)
    ]
    check_rows = [
        Check(name=f"check-{n:05d}", namespace="dash", pod_spec=POD_SPEC, timeout_seconds=30)
        for n in range(checks)
    ]
    pairs = [(check.id, cluster.id) for check in check_rows for cluster in cluster_rows]
    rows: list[tuple[type[Any], list[Any]]] = [
        (Cluster, cluster_rows),
        (Check, check_rows),
        (CheckCluster, [CheckCluster(check_id=c, cluster_id=k) for c, k in pairs]),
        (
            CheckStatus,
            [
                CheckStatus(check_id=c, cluster_id=k, status=CheckHealth.PASSING, since=now)
                for c, k in pairs
            ],
        ),
        (
            RunRollup,
            [
                RunRollup(
                    check_id=c,
                    cluster_id=k,
                    step=step,
                    bucket_start=bucket_start(now, step),
                    runs=9,
                    successes=8,
                    failures=1,
                )
                for c, k in pairs
                for step in RollupStep
            ],
        ),
    ]
    async with session_factory.begin() as session:
        for table, models in rows:
            await session.exec(sa.insert(table), params=[model.model_dump() for model in models])
