from pathlib import Path

import sqlalchemy as sa

from app.db import create_engine
from app.migrations import current_revision, head_revision, schema_drift, upgrade_database

EXPECTED_TABLES = {"cluster", "check", "check_cluster", "run", "run_log", "run_event"}


async def assert_upgrade_creates_everything_without_drift(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
        assert tables >= EXPECTED_TABLES
        assert await current_revision(engine) == head_revision()
        assert await schema_drift(engine) == []
    finally:
        await engine.dispose()


async def test_upgrade_head_on_an_empty_sqlite_file_matches_the_models(tmp_path: Path) -> None:
    await assert_upgrade_creates_everything_without_drift(
        f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    )


async def test_upgrade_head_on_an_empty_postgres_database_matches_the_models(
    empty_postgres_url: str,
) -> None:
    await assert_upgrade_creates_everything_without_drift(empty_postgres_url)


async def test_upgrading_twice_is_a_no_op(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'twice.db'}")
    try:
        await upgrade_database(engine)
        await upgrade_database(engine)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_drift_detection_notices_a_table_the_migrations_do_not_create(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'drift.db'}")
    try:
        await upgrade_database(engine)
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP TABLE run_event")
        assert await schema_drift(engine) != []
    finally:
        await engine.dispose()
