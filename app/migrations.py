"""Apply and inspect Alembic migrations on an async engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from alembic import command
from app.keyring import Keyring

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(connection: Connection | None = None, keyring: Keyring | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["connection"] = connection
    # Migrations that encrypt data already stored need the key.
    config.attributes["keyring"] = keyring
    return config


async def upgrade_database(
    engine: AsyncEngine, revision: str = "head", *, keyring: Keyring | None = None
) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync, keyring), revision)
        )
        await connection.commit()


async def stamp_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Record `revision` as applied without running it (for a schema made from the models)."""
    async with engine.connect() as connection:
        await connection.run_sync(lambda sync: command.stamp(alembic_config(sync), revision))
        await connection.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def schema_drift(engine: AsyncEngine) -> list[Any]:
    """Differences between the models and the migrated database (empty when they agree)."""

    def compare(sync: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync,
            opts={"compare_type": True, "render_as_batch": sync.dialect.name == "sqlite"},
        )
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
