"""Bulk seeding for the history benchmarks: set-based INSERT … SELECT over a generated series
(a recursive CTE on SQLite, generate_series on PostgreSQL), so a million runs take seconds and no
row crosses into Python. Values are spelled as Patrol's column types store them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.sql.sqltypes import UTCDateTime

from app.domain.rollup import RollupStep, bucket_start

SERIES = {
    "sqlite": "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < {count})",
    "postgresql": "WITH seq(n) AS (SELECT generate_series(0, {count} - 1))",
}


def _instant(dialect: str, epoch_seconds: str) -> str:
    """SQL turning seconds since the epoch into the column's stored form."""
    if dialect == "sqlite":
        return f"(strftime('%Y-%m-%d %H:%M:%f', {epoch_seconds}, 'unixepoch') || '000')"
    return f"to_timestamp({epoch_seconds})"


def _new_uuid(dialect: str) -> str:
    return "lower(hex(randomblob(16)))" if dialect == "sqlite" else "gen_random_uuid()"


async def seed_fleet(
    connection: AsyncConnection, *, checks: int, clusters: int, now: datetime
) -> None:
    """Clusters, checks in every cluster, a status per pair and `bench_pair(p, check_id,
    cluster_id)` numbering the pairs for the generators below."""
    cluster_ids = [uuid.uuid4() for _ in range(clusters)]
    check_ids = [uuid.uuid4() for _ in range(checks)]
    await connection.execute(
        sa.text(
            "INSERT INTO cluster (id, name, description, labels, connection_kind, "
            "insecure_skip_tls_verify, default_namespace, created_at, updated_at) "
            "VALUES (:id, :name, '', '{}', 'local', false, 'default', :now, :now)"
        ).bindparams(
            sa.bindparam("id", type_=sa.Uuid()),
            sa.bindparam("now", type_=sa.DateTime(timezone=True)),
        ),
        [{"id": cid, "name": f"cluster-{n}", "now": now} for n, cid in enumerate(cluster_ids)],
    )
    await connection.execute(
        sa.text(
            'INSERT INTO "check" (id, name, namespace, description, labels, pod_spec, '
            "extra_labels, extra_annotations, run_interval_seconds, timeout_seconds, enabled, "
            "version, created_at, updated_at) VALUES (:id, :name, 'bench', '', '{}', "
            "'{\"containers\": []}', '{}', '{}', 60, 30, true, 1, :now, :now)"
        ).bindparams(
            sa.bindparam("id", type_=sa.Uuid()),
            sa.bindparam("now", type_=sa.DateTime(timezone=True)),
        ),
        [{"id": cid, "name": f"check-{n:05d}", "now": now} for n, cid in enumerate(check_ids)],
    )
    await connection.execute(
        sa.text("CREATE TABLE bench_pair (p INTEGER PRIMARY KEY, check_id UUID, cluster_id UUID)")
    )
    pairs = [(c, k) for c in check_ids for k in cluster_ids]
    await connection.execute(
        sa.text("INSERT INTO bench_pair VALUES (:p, :c, :k)").bindparams(
            sa.bindparam("c", type_=sa.Uuid()), sa.bindparam("k", type_=sa.Uuid())
        ),
        [{"p": n, "c": c, "k": k} for n, (c, k) in enumerate(pairs)],
    )
    await connection.execute(
        sa.text(
            "INSERT INTO check_cluster (check_id, cluster_id) SELECT check_id, cluster_id FROM bench_pair"
        )
    )
    dialect = connection.dialect.name
    since = _instant(dialect, str(int((now - timedelta(hours=3)).timestamp())))
    await connection.execute(
        sa.text(
            "INSERT INTO check_status (check_id, cluster_id, status, since, consecutive_failures, "
            "consecutive_successes, paused, version) SELECT check_id, cluster_id, "
            f"CASE WHEN p % 50 = 0 THEN 'failing' ELSE 'passing' END, {since}, "
            "CASE WHEN p % 50 = 0 THEN 2 ELSE 0 END, CASE WHEN p % 50 = 0 THEN 0 ELSE 40 END, "
            "false, 1 FROM bench_pair"
        )
    )


async def seed_runs(connection: AsyncConnection, *, runs: int, pairs: int, now: datetime) -> None:
    """`runs` decided runs spread evenly over the pairs and the last 30 days (pairs staggered
    within each interval, as schedules are): 94 % succeeded, 4 % failed, 1 % timed out, 1 %
    errors; one in 20 manual."""
    dialect = connection.dialect.name
    per_pair = -(-runs // pairs)
    step_ms = int(timedelta(days=30).total_seconds() * 1000) // per_pair
    first_ms = int((now - timedelta(days=30)).timestamp() * 1000)
    at = f"(({first_ms} + k * {step_ms} + np * {step_ms} / {pairs}) / 1000.0)"
    r = "((k * 37 + np) % 100)"
    status = (
        f"CASE WHEN {r} < 94 THEN 'succeeded' WHEN {r} < 98 THEN 'failed' "
        f"WHEN {r} = 98 THEN 'timed_out' ELSE 'error' END"
    )
    reason = (
        f"CASE WHEN {r} < 94 THEN NULL WHEN {r} < 98 THEN 'check_failed' "
        f"WHEN {r} = 98 THEN 'timed_out' ELSE 'image_pull' END"
    )
    no_errors = "'[]'" if dialect == "sqlite" else "CAST('[]' AS JSON)"
    await connection.execute(
        sa.text(
            SERIES[dialect].format(count=runs)
            + f", numbered(np, k) AS (SELECT CAST(n % {pairs} AS BIGINT), CAST(n / {pairs} AS BIGINT) FROM seq)"
            + ' INSERT INTO run (id, check_id, cluster_id, check_version, "trigger", status, ok, '
            "errors, failure_reason, scheduled_at, started_at, deadline_at, finished_at, "
            "finalized_at, pod_name, pod_namespace, created_at) "
            f"SELECT {_new_uuid(dialect)}, bench_pair.check_id, bench_pair.cluster_id, 1, "
            "CASE WHEN (k + np) % 20 = 0 THEN 'manual' ELSE 'schedule' END, "
            f"{status}, {r} < 94, {no_errors}, {reason}, "
            f"{_instant(dialect, at)}, {_instant(dialect, at + ' + 1')}, "
            f"{_instant(dialect, at + ' + 31')}, {_instant(dialect, at + ' + 3')}, "
            f"{_instant(dialect, at + ' + 5')}, 'pod', 'default', {_instant(dialect, at)} "
            "FROM numbered JOIN bench_pair ON bench_pair.p = numbered.np"
        ).execution_options(no_parameters=True)
    )


async def seed_rollups(connection: AsyncConnection, *, hours: int, now: datetime) -> None:
    """Hourly buckets for the last `hours` hours of every pair, their daily buckets, and the
    hours' duration bins."""
    dialect = connection.dialect.name
    current = int(bucket_start(now, RollupStep.HOUR).timestamp())
    start = _instant(dialect, f"({current} - h * 3600)")
    hours_series = (
        f"WITH RECURSIVE hrs(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hrs WHERE h + 1 < {hours})"
        if dialect == "sqlite"
        else f"WITH hrs(h) AS (SELECT generate_series(0, {hours} - 1))"
    )
    await connection.execute(
        sa.text(
            hours_series
            + " INSERT INTO run_rollup (check_id, step, bucket_start, cluster_id, runs, successes, "
            "failures, timeouts, errors, duration_count, duration_sum_ms, duration_min_ms, "
            f"duration_max_ms) SELECT check_id, 'hour', {start}, cluster_id, 60, "
            "CASE WHEN p % 50 = 0 THEN 40 ELSE 59 END, CASE WHEN p % 50 = 0 THEN 20 ELSE 1 END, "
            "0, 0, 60, 120000, 900, 4000 FROM bench_pair CROSS JOIN hrs"
        )
    )
    # The daily buckets these hours fall in: the sums of their hours, as Patrol keeps them.
    day = bucket_start(now, RollupStep.DAY)
    for _ in range(-(-hours // 24) + 1):
        await connection.execute(
            sa.text(
                "INSERT INTO run_rollup (check_id, step, bucket_start, cluster_id, runs, "
                "successes, failures, timeouts, errors, duration_count, duration_sum_ms, "
                "duration_min_ms, duration_max_ms) SELECT check_id, 'day', :day, cluster_id, "
                "SUM(runs), SUM(successes), SUM(failures), SUM(timeouts), SUM(errors), "
                "SUM(duration_count), SUM(duration_sum_ms), MIN(duration_min_ms), "
                "MAX(duration_max_ms) FROM run_rollup WHERE step = 'hour' AND bucket_start >= "
                ":day AND bucket_start < :next GROUP BY check_id, cluster_id"
            ).bindparams(
                sa.bindparam("day", type_=UTCDateTime()), sa.bindparam("next", type_=UTCDateTime())
            ),
            {"day": day, "next": day + RollupStep.DAY.length},
        )
        day -= RollupStep.DAY.length
    for number, count in ((40, 50), (45, 10)):
        await connection.execute(
            sa.text(
                hours_series
                + " INSERT INTO run_rollup_bin (check_id, step, bucket_start, cluster_id, bin, "
                f"count) SELECT check_id, 'hour', {start}, cluster_id, {number}, {count} "
                "FROM bench_pair CROSS JOIN hrs"
            )
        )


def utc_now() -> datetime:
    return datetime.now(UTC)
