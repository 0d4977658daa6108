"""Engine and session factories for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]
# Jobs, the scheduler, pod watches and API requests share the pool; keep waits for it rare.
POOL_SIZE = 20


def create_engine(url: str, *, schema: str | None = None, **options: Any) -> AsyncEngine:
    """An async engine; `schema` (PostgreSQL) puts Patrol's tables in that schema. Statement
    parameters are never logged or put in error messages: they carry encrypted credentials and
    tokens' digests, and reports' errors."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection per process: SQLite takes one writer at a time, and writers that contend
        # wait in its busy handler, which sleeps for up to 100 ms at a go. Queueing for the one
        # connection in the pool instead is fair and costs microseconds.
        options.setdefault("pool_size", 1)
        options.setdefault("max_overflow", 0)
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, hide_parameters=True, **options
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    if schema is not None:
        options.setdefault("connect_args", {})["server_settings"] = {"search_path": schema}
    options.setdefault("pool_size", POOL_SIZE)
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **options)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked on every connection; WAL lets readers run beside a writer.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
