"""Engine and session factories for SQLite (aiosqlite) and PostgreSQL (asyncpg).

A running Patrol process has two engines: one for monitoring (scheduler, pod watches, sweeps,
jobs, reports) and one for API requests, so that no request can starve monitoring of
connections. See `create_engines` for how each database keeps them apart."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]
POOL_SIZE = 20
DEFAULT_WAIT_SECONDS = 30.0
# SQLite calls the progress handler every this many virtual machine instructions: a few
# milliseconds of work. Much more often, the calls (each taking the GIL) slow the event loop.
PROGRESS_STEPS = 1_000_000
API_THREAD_NICENESS = 19


def create_engine(
    url: str,
    *,
    schema: str | None = None,
    wait_timeout: float = DEFAULT_WAIT_SECONDS,
    lock_timeout: float | None = None,
    query_timeout: float | None = None,
    **options: Any,
) -> AsyncEngine:
    """An async engine; `schema` (PostgreSQL) puts Patrol's tables in that schema. Statement
    parameters are never logged or put in error messages: they carry encrypted credentials and
    tokens' digests, and reports' errors.

    `wait_timeout` bounds waiting for a pooled connection (and, on SQLite, for the write lock);
    `lock_timeout` (PostgreSQL) bounds waiting for row and table locks; `query_timeout` cuts off
    a statement (PostgreSQL) or everything done on one checked-out connection (SQLite)."""
    parsed = make_url(url)
    options.setdefault("pool_timeout", wait_timeout)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection by default: SQLite takes one writer at a time, and writers that contend
        # wait in its busy handler, which sleeps for up to 100 ms at a go. Queueing for the one
        # connection in the pool instead is fair and costs microseconds.
        options.setdefault("pool_size", 1)
        options.setdefault("max_overflow", 0)
        engine = create_async_engine(
            url, connect_args={"timeout": wait_timeout}, hide_parameters=True, **options
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite(wait_timeout))
        if query_timeout is not None:
            _bound_sqlite_api_work(engine, query_timeout)
        return engine
    server_settings: dict[str, str] = {}
    if schema is not None:
        server_settings["search_path"] = schema
    if lock_timeout is not None:
        server_settings["lock_timeout"] = str(int(lock_timeout * 1000))
    if query_timeout is not None:
        server_settings["statement_timeout"] = str(int(query_timeout * 1000))
    if server_settings:
        options.setdefault("connect_args", {})["server_settings"] = server_settings
    options.setdefault("pool_size", POOL_SIZE)
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **options)


def _configure_sqlite(wait_timeout: float) -> Any:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked on every connection; WAL lets readers run
        # beside a writer (so a long read on one connection never holds up another's writes).
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(wait_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return configure


class _ApiConnection:
    """One SQLite connection of the API's: when it was last taken from the pool (None while it
    sits in the pool), and whether its thread already yields the CPU."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.yields_cpu = False

    def overdue(self, limit: float) -> bool:
        since = self.since
        return since is not None and time.monotonic() - since > limit

    def yield_cpu(self) -> None:
        """SQLite works on the connection's own thread, in Patrol's process: a long API query
        must not take CPU from the event loop that runs the scheduler. Linux sets the priority
        of one thread by its id; elsewhere this does nothing."""
        self.yields_cpu = True
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), API_THREAD_NICENESS)


def _bound_sqlite_api_work(engine: AsyncEngine, limit: float) -> None:
    """SQLite has no statement timeout: a progress handler interrupts whatever runs on a
    connection once it has been checked out for longer than `limit` ("interrupted"), which also
    releases the write lock that a long transaction would hold over the whole database. The
    handler runs only in long statements, on the connection's thread: it also lowers that
    thread's CPU priority."""

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        connection = record.info["api_connection"] = _ApiConnection()

        def handler() -> int:
            if not connection.yields_cpu:
                connection.yield_cpu()
            return 1 if connection.overdue(limit) else 0

        dbapi_connection.run_async(
            lambda driver: driver.set_progress_handler(handler, PROGRESS_STEPS)
        )

    def on_checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.info["api_connection"].since = time.monotonic()

    def on_checkin(_dbapi: Any, record: Any) -> None:
        connection = record.info.get("api_connection")
        if connection is not None:
            connection.since = None

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "checkout", on_checkout)
    event.listen(engine.sync_engine, "checkin", on_checkin)


@dataclass(frozen=True, slots=True)
class PoolSettings:
    api_pool_size: int
    background_pool_size: int
    wait_timeout: float
    api_query_timeout: float


@dataclass(frozen=True, slots=True)
class Engines:
    """Monitoring's engine and the API's: what one must never wait for the other to release."""

    background: AsyncEngine
    api: AsyncEngine

    async def dispose(self) -> None:
        await self.api.dispose()
        await self.background.dispose()


def create_engines(url: str, *, schema: str | None, pools: PoolSettings) -> Engines:
    """PostgreSQL: two pools; monitoring's waits for locks are bounded (a stalled lock fails and
    the loop retries), API statements are cut off after `api_query_timeout`.

    SQLite (in WAL mode): monitoring keeps its one connection, so its writes never queue behind
    an API request in the pool; API requests get connections of their own, whose reads run beside
    monitoring's writes. SQLite still has a single write lock for the whole database: an API
    transaction is cut off after `api_query_timeout`, which bounds how long it can hold it."""
    api_options: dict[str, Any] = {"pool_size": pools.api_pool_size}
    if make_url(url).get_backend_name() == "sqlite":
        background = create_engine(url, wait_timeout=pools.wait_timeout)
    else:
        background = create_engine(
            url,
            schema=schema,
            wait_timeout=pools.wait_timeout,
            lock_timeout=pools.wait_timeout,
            pool_size=pools.background_pool_size,
        )
    api = create_engine(
        url,
        schema=schema,
        wait_timeout=pools.wait_timeout,
        query_timeout=pools.api_query_timeout,
        **api_options,
    )
    return Engines(background=background, api=api)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


# PostgreSQL's "deadlock detected": it aborted this transaction to let the other one through, and
# the documented answer is to run it again.
_DEADLOCK_SQLSTATE = "40P01"


def is_deadlock(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == _DEADLOCK_SQLSTATE
