"""API requests and monitoring do not share database connections: however long API reads run,
and however many, a scheduled run launches on time; an API query past its limit is cut off."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select

from app.models import Run
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings, shell_checker

# More than the API's pool and overflow, and more than the 30 connections one shared pool had.
READERS = 32


async def hold_an_api_read(stack: PatrolStack, started: list[int], done: asyncio.Event) -> None:
    """A long API read: a request that keeps its read transaction (on SQLite, its snapshot) and
    its connection while it works."""
    async with stack.runtime.api_session_factory() as session:
        await session.exec(select(func.count()).select_from(Run))
        started.append(1)
        await done.wait()


@patrol_settings(database_api_pool_size=2)
async def test_long_api_reads_do_not_delay_a_scheduled_launch(api_stack: PatrolStack) -> None:
    await api_stack.start_worker(in_api_process=True)
    started: list[int] = []
    done = asyncio.Event()
    reads = [
        asyncio.create_task(hold_an_api_read(api_stack, started, done)) for _ in range(READERS)
    ]
    try:

        async def api_connections_all_taken() -> bool:
            return len(started) >= 2

        await eventually(api_connections_all_taken, timeout=10)
        check = await api_stack.add_check("punctual", shell_checker("exit 0"), run_interval="1h")

        async def launched() -> Run | None:
            runs = await api_stack.runs(check.id)
            return runs[0] if runs and runs[0].started_at is not None else None

        run = await eventually(launched, timeout=10)
        assert run.started_at is not None
        # The proof is that it launched while every read still held its connection; the bound
        # only leaves room for a loaded machine (it once took 1.07 s beside another test suite).
        assert run.started_at - run.scheduled_at < timedelta(seconds=5)
        assert not any(read.done() for read in reads), "the reads ended before the launch"
    finally:
        done.set()
        await asyncio.gather(*reads)


@patrol_settings(api_query_timeout_seconds=1)
async def test_an_api_query_running_past_its_limit_is_cut_off(api_stack: PatrolStack) -> None:
    endless = (
        "SELECT pg_sleep(60)"
        if api_stack.runtime.api_engine.dialect.name == "postgresql"
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    began = asyncio.get_running_loop().time()
    with pytest.raises(DBAPIError):
        async with api_stack.runtime.api_session_factory() as session:
            await session.exec(sa.text(endless))
    assert asyncio.get_running_loop().time() - began < 10
    async with api_stack.runtime.api_session_factory() as session:
        assert (await session.exec(sa.text("SELECT 1"))).one() == (1,)
