"""History read paths at scale: the latest 50 runs with a million runs stored, and the dashboard
status summary of 1,000 checks in 3 clusters.

Seeds a fresh database in bulk (see bench/history_seed.py): `--checks` checks in each of
`--clusters` clusters with a status each, `--runs` decided runs spread over the last 30 days, and
49 hourly rollup buckets per pair with their daily ones. Then times, with Patrol's own services on
Patrol's own engine:
- latest 50 runs, `--repeat` times each: of all checks; of one check; of one check in one cluster;
  of one check's failures by reason; the second page of one check (after a cursor);
- the status summary, `--summary-repeat` times each (service call, then the whole GraphQL
  operation as a viewer). `--summary-only` seeds no runs and times only the summary.
SQLite: a temporary file. PostgreSQL: a database created for the run and dropped after it.
What the summary reads depends on the hour (UTC): see app/services/dashboard.py; it is printed.

Run: .venv/bin/python -m bench.history_queries [--runs 1000000] [--checks 1000] [--clusters 3]
     [--repeat 200] [--summary-repeat 20] [--summary-only]
     [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from datetime import time as time_of_day
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.api import history as history_api
from app.api.context import build_context
from app.api.limits import OperationLimits
from app.api.schema import create_schema
from app.db import SessionFactory, create_engine, create_session_factory
from app.domain.access import Principal, Role
from app.domain.history_window import UptimeWindow, preset_span
from app.domain.run_lifecycle import FailureReason
from app.keyring import Keyring, generate_key
from app.logging import configure_logging
from app.serve import tune_garbage_collection
from app.services import dashboard, listing
from app.services.listing import CheckFilter, RunFilter, RunKey
from bench.common import percentile
from bench.history_seed import seed_fleet, seed_rollups, seed_runs, utc_now

PAGE = 50
GRID = """
{ statusSummary { from to columns { clusterId clusterName }
  checks { checkId namespace name uptime24h statuses uptimes24h } } }
"""
OBJECTS = """
{ statusSummary { from to checks { checkId namespace name runs24h uptime24h
  clusters { clusterId clusterName status since consecutiveFailures runs24h uptime24h } } } }
"""


@asynccontextmanager
async def bench_database(url: str | None) -> AsyncIterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory(prefix="patrol-bench-") as workdir:
            yield f"sqlite+aiosqlite:///{Path(workdir) / 'history.db'}"
        return
    if make_url(url).get_backend_name() == "sqlite":
        Path(str(make_url(url).database)).unlink(missing_ok=True)
        yield url  # a file to look into afterwards
        return
    name = f"patrol_bench_history_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def report(label: str, timings: tuple[list[float], list[float]]) -> None:
    seconds, cpu = timings
    print(
        f"  {label:<40} p50 {percentile(seconds, 0.5) * 1000:7.2f} ms  "
        f"p95 {percentile(seconds, 0.95) * 1000:7.2f} ms  max {max(seconds) * 1000:7.2f} ms  "
        f"(cpu p50 {percentile(cpu, 0.5) * 1000:6.2f} ms)"
    )


async def timed(
    repeat: int, call: Callable[[], Awaitable[object]]
) -> tuple[list[float], list[float]]:
    """Wall time of each call, and the CPU time this process spent on it (all its threads: the
    SQLite driver's too), which other engineers' load on a shared machine does not inflate."""
    await call()  # warm: connection, statement cache
    seconds, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        await call()
        seconds.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return seconds, cpu


async def latest_runs(
    sessions: SessionFactory, where: RunFilter, after: RunKey | None = None
) -> int:
    async with sessions() as session:
        return len(await listing.list_runs(session, where, limit=PAGE + 1, after=after))


async def main(arguments: argparse.Namespace) -> None:
    configure_logging("WARNING")
    async with bench_database(arguments.database_url) as url:
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        now = utc_now()
        began = time.perf_counter()
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
            await seed_fleet(
                connection, checks=arguments.checks, clusters=arguments.clusters, now=now
            )
        pairs = arguments.checks * arguments.clusters
        runs = 0 if arguments.summary_only else arguments.runs
        if runs:
            async with engine.begin() as connection:
                await seed_runs(connection, runs=runs, pairs=pairs, now=now)
        async with engine.begin() as connection:
            await seed_rollups(connection, hours=49, now=now)
            await connection.execute(sa.text("ANALYZE"))
            rows = await connection.execute(
                sa.text("SELECT check_id, cluster_id FROM bench_pair ORDER BY p")
            )
            pair_ids = [(uuid.UUID(str(c)), uuid.UUID(str(k))) for c, k in rows.all()]
        print(
            f"{engine.dialect.name}: seeded {runs:,} runs, {arguments.checks:,} checks x "
            f"{arguments.clusters} clusters in {time.perf_counter() - began:.0f} s"
        )
        if runs:
            await time_latest_runs(sessions, pair_ids, arguments.repeat)
        await time_summary(sessions, arguments)
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        await engine.dispose()


async def time_latest_runs(
    sessions: SessionFactory, pair_ids: list[tuple[uuid.UUID, uuid.UUID]], repeat: int
) -> None:
    picker = random.Random(7)

    def some_pair() -> tuple[uuid.UUID, uuid.UUID]:
        return picker.choice(pair_ids)

    cursors: list[tuple[uuid.UUID, RunKey]] = []
    async with sessions() as session:
        for check_id, _ in picker.sample(pair_ids, 50):
            first = await listing.list_runs(session, RunFilter(check_id=check_id), limit=PAGE)
            cursors.append((check_id, RunKey(first[-1].scheduled_at, first[-1].id)))

    async def second_page() -> int:
        check_id, after = picker.choice(cursors)
        return await latest_runs(sessions, RunFilter(check_id=check_id), after)

    print(f"latest {PAGE} runs ({repeat} times each):")
    cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("all checks", lambda: latest_runs(sessions, RunFilter())),
        ("one check", lambda: latest_runs(sessions, RunFilter(check_id=some_pair()[0]))),
        (
            "one check in one cluster",
            lambda: latest_runs(
                sessions, RunFilter(check_id=(pair := some_pair())[0], cluster_id=pair[1])
            ),
        ),
        (
            "one check, failed or timed out",
            lambda: latest_runs(
                sessions,
                RunFilter(
                    check_id=some_pair()[0],
                    failure_reasons=[FailureReason.CHECK_FAILED, FailureReason.TIMED_OUT],
                ),
            ),
        ),
        ("one check, second page (keyset)", second_page),
    ]
    for label, call in cases:
        report(label, await timed(repeat, call))


async def time_summary(sessions: SessionFactory, arguments: argparse.Namespace) -> None:
    """Timed as `patrol serve` answers it: collections tuned, what start-up built frozen."""

    async def summary_service() -> int:
        async with sessions() as session:
            found = await dashboard.status_summary(session, CheckFilter(), now=utc_now())
        return len(found.checks)

    schema = create_schema(OperationLimits(max_cost=10**9))
    viewer = Principal("bench", Role.VIEWER)
    keyring = Keyring(generate_key())

    def summary_graphql(document: str) -> Callable[[], Awaitable[int]]:
        async def execute() -> int:
            context = build_context(sessions, keyring=keyring, principal=viewer)
            result = await schema.execute(document, context_value=context)
            assert result.errors is None and result.data is not None, result.errors
            return len(result.data["statusSummary"]["checks"])

        return execute

    repeat = arguments.summary_repeat or max(10, arguments.repeat // 10)
    tune_garbage_collection()  # as `patrol serve` does
    hourly, daily = dashboard.buckets_read(preset_span(UptimeWindow.H24, utc_now()))
    print(
        f"status summary, {arguments.checks:,} checks x {arguments.clusters} clusters "
        f"({repeat} times each; at {utc_now():%H:%M} UTC it reads {hourly} hourly and {daily} "
        "daily buckets per check and cluster):"
    )
    report("service (1 statement)", await timed(repeat, summary_service))
    report("GraphQL, grid (statuses, uptimes24h)", await timed(repeat, summary_graphql(GRID)))
    report("GraphQL, one object per cluster", await timed(repeat, summary_graphql(OBJECTS)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=1_000)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--summary-repeat", type=int, help="times to run the summary (default: repeat / 10)"
    )
    parser.add_argument(
        "--summary-only", action="store_true", help="seed no runs; time only the summary"
    )
    parser.add_argument(
        "--as-of",
        type=time_of_day.fromisoformat,
        help="HH:MM UTC: seed and answer as if it were that time today (how many buckets the "
        "24 h window reads depends on the hour; 11:xx is the most)",
    )
    parser.add_argument("--database-url")
    parsed = parser.parse_args()
    if parsed.as_of is not None:
        offset = datetime.combine(datetime.now(UTC).date(), parsed.as_of, UTC) - datetime.now(UTC)

        def shifted_now() -> datetime:
            return datetime.now(UTC) + offset

        utc_now = shifted_now  # this script's clock
        history_api.utcnow = shifted_now  # the GraphQL resolvers'
    asyncio.run(main(parsed))
