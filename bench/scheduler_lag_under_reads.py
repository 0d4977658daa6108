"""Scheduler lag while API requests run heavy reads: launch time minus due time.

Like `bench.scheduler_lag`, with the API and the worker in one process as `patrol serve` runs
them, plus `--readers` tasks that run long reads through the API's sessions back to back for the
whole run, each about `--read-seconds` long. `--read hold` (the default): a read transaction
that keeps its connection (and on SQLite its snapshot) that long, as a slow request does; on
PostgreSQL `SELECT pg_sleep(...)`. `--read cpu` (SQLite): a recursive count sized to take that
long, which also works the CPU in Patrol's own process. Prints p50/p99/max of
(run.started_at - run.scheduled_at) for the runs due in the window, and how many reads ran.

Run: .venv/bin/python -m bench.scheduler_lag_under_reads [--checks 100] [--interval 20]
     [--duration 45] [--readers 4] [--read-seconds 2] [--read hold|cpu]
     [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from contextlib import AsyncExitStack
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from app.adapters.queue import stop_worker
from app.db import SessionFactory
from app.logging import configure_logging
from app.models import CheckSchedule, Run
from app.models.columns import utcnow
from app.services.checks import CheckDraft, create_check
from app.services.local_cluster import register_local_cluster
from bench.common import bench_runtime, local_cluster_process, summary
from workers.background import background_loops
from workers.settings import create_worker

POD_SPEC = {"containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", "exit 0"]}]}
COUNT_TO = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*) FROM c"


async def cpu_read_statement(sessions: SessionFactory, seconds: float) -> str:
    probe = 2_000_000
    began = time.monotonic()
    async with sessions() as session:
        await session.exec(sa.text(COUNT_TO.format(n=probe)))
    per_step = (time.monotonic() - began) / probe
    return COUNT_TO.format(n=int(seconds / per_step))


async def read_forever(
    sessions: SessionFactory,
    dialect: str,
    kind: str,
    statement: str,
    seconds: float,
    done: list[int],
) -> None:
    while True:
        try:
            async with sessions() as session:
                if dialect == "postgresql":
                    await session.exec(sa.text(f"SELECT pg_sleep({seconds})"))
                elif kind == "cpu":
                    await session.exec(sa.text(statement))
                else:
                    await session.exec(select(sa.func.count()).select_from(Run))
                    await asyncio.sleep(seconds)  # the request works on, its read still open
            done.append(1)
        except SQLAlchemyError:
            done.append(0)


async def main(arguments: argparse.Namespace) -> None:
    configure_logging("WARNING")
    logging.getLogger("arq").setLevel(logging.ERROR)
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    async with AsyncExitStack() as stack:
        local = await stack.enter_async_context(local_cluster_process())
        runtime = await stack.enter_async_context(
            bench_runtime(arguments.database_url, arguments.redis_url, "http://127.0.0.1:9")
        )
        async with runtime.session_factory() as session:
            cluster = await register_local_cluster(
                session, runtime.keyring, local.url, local.token, local.ca_cert
            )
        interval = timedelta(seconds=arguments.interval)
        async with runtime.session_factory() as session:
            for number in range(arguments.checks):
                await create_check(
                    session,
                    CheckDraft(
                        name=f"lag-{number}",
                        namespace="default",
                        pod_spec=POD_SPEC,
                        run_interval=f"{arguments.interval}s",
                        timeout="10s",
                        cluster_ids=[cluster.id],
                    ),
                )
            await session.commit()
        start = utcnow() + timedelta(seconds=3)
        async with runtime.session_factory() as session:
            rows = (await session.exec(select(CheckSchedule))).all()
            for number, row in enumerate(rows):
                row.next_due_at = start + interval * number / len(rows)
                session.add(row)
            await session.commit()
        dialect = runtime.api_engine.dialect.name
        statement = ""
        if dialect == "sqlite" and arguments.read == "cpu":
            statement = await cpu_read_statement(
                runtime.api_session_factory, arguments.read_seconds
            )
        worker = create_worker(runtime, handle_signals=False)
        running = asyncio.create_task(worker.async_run())
        stack.push_async_callback(stop_worker, worker, running)
        await stack.enter_async_context(background_loops(runtime))
        reads: list[int] = []
        readers = [
            asyncio.create_task(
                read_forever(
                    runtime.api_session_factory,
                    dialect,
                    arguments.read,
                    statement,
                    arguments.read_seconds,
                    reads,
                )
            )
            for _ in range(arguments.readers)
        ]
        print(
            f"{arguments.checks} checks due every {arguments.interval} s, {arguments.readers} "
            f"{arguments.read} readers of ~{arguments.read_seconds} s each; "
            f"running for {arguments.duration} s ...",
            flush=True,
        )
        await asyncio.sleep(arguments.duration)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        window_end = start + timedelta(seconds=arguments.duration - 12)
        async with runtime.session_factory() as session:
            runs = (
                await session.exec(select(Run).where(col(Run.scheduled_at) <= window_end))
            ).all()
        lags = [
            (run.started_at - run.scheduled_at).total_seconds()
            for run in runs
            if run.started_at is not None
        ]
        print(f"database {dialect}; runs due in the window: {len(runs)}, launched: {len(lags)}")
        print(f"heavy reads completed: {sum(reads)}, failed: {reads.count(0)}")
        print(f"scheduler lag (started_at - scheduled_at): {summary(lags)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--interval", type=int, default=20)
    parser.add_argument("--duration", type=int, default=45)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--read-seconds", type=float, default=2.0)
    parser.add_argument("--read", choices=["hold", "cpu"], default="hold")
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    asyncio.run(main(parser.parse_args()))
