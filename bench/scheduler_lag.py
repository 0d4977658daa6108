"""Scheduler lag: launch time minus due time, with many checks due on a fixed interval.

Starts `patrol local-cluster` in its own process, a worker (scheduler, pod watch, jobs) in this
one, creates the checks with their first due times spread over one interval, runs for a while and
prints p50/p99 of (run.started_at - run.scheduled_at) for every run that came due meanwhile.

Run: .venv/bin/python bench/scheduler_lag.py [--checks 1000] [--interval 30] [--duration 75]
     [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import Counter
from contextlib import AsyncExitStack
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from app.adapters.queue import stop_worker
from app.logging import configure_logging
from app.models import CheckSchedule, Run
from app.models.columns import utcnow
from app.services.checks import CheckDraft, create_check
from app.services.local_cluster import register_local_cluster
from bench.common import bench_runtime, local_cluster_process, summary
from workers.background import background_loops
from workers.settings import create_worker

POD_SPEC = {"containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", "exit 0"]}]}


async def main(arguments: argparse.Namespace) -> None:
    configure_logging("WARNING")
    logging.getLogger("arq").setLevel(logging.ERROR)
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
        print(
            f"creating {arguments.checks} checks due every {arguments.interval} s ...", flush=True
        )
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
        # Spread the first due times over one interval, starting a little after the worker.
        start = utcnow() + timedelta(seconds=2)
        async with runtime.session_factory() as session:
            rows = (await session.exec(select(CheckSchedule))).all()
            for number, row in enumerate(rows):
                row.next_due_at = start + interval * number / len(rows)
                session.add(row)
            await session.commit()
        statements: Counter[str] = Counter()

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements[" ".join(statement.split()[:3])] += 1

        sa.event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        worker = create_worker(runtime, handle_signals=False)
        running = asyncio.create_task(worker.async_run())
        stack.push_async_callback(stop_worker, worker, running)
        await stack.enter_async_context(background_loops(runtime))
        began = time.monotonic()
        print(f"running for {arguments.duration} s ...", flush=True)
        await asyncio.sleep(arguments.duration)
        window_end = start + timedelta(seconds=arguments.duration - 12)
        async with runtime.session_factory() as session:
            runs = (
                await session.exec(select(Run).where(col(Run.scheduled_at) <= window_end))
            ).all()
            skipped = (await session.exec(select(sa.func.sum(CheckSchedule.skipped_slots)))).one()
        expected = sum(
            1 + int((window_end - row.next_due_at).total_seconds() // arguments.interval)
            for row in rows
            if row.next_due_at <= window_end
        )
        lags = [
            (run.started_at - run.scheduled_at).total_seconds()
            for run in runs
            if run.started_at is not None
        ]
        print(
            f"elapsed {time.monotonic() - began:.0f} s; database {runtime.engine.url.get_backend_name()}"
        )
        print(
            f"runs due in the window: {expected}, created: {len(runs)}, launched: {len(lags)}, skipped slots: {skipped or 0}"
        )
        print(f"scheduler lag (started_at - scheduled_at): {summary(lags)}")
        finalized = sum(1 for run in runs if run.finalized_at is not None)
        print(
            f"SQL statements: {sum(statements.values())} for {len(lags)} launched / "
            f"{finalized} finalized runs; most frequent: {statements.most_common(6)}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--duration", type=int, default=75)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    asyncio.run(main(parser.parse_args()))
