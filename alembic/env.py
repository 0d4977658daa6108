"""Alembic environment: runs on a connection handed in by app.migrations, or opens one from settings."""

import asyncio

from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from alembic import context
from app.db import create_engine
from app.settings import get_settings

target_metadata = SQLModel.metadata


def run_on_connection(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine() -> None:
    settings = get_settings()
    engine = create_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on_connection)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `patrol db upgrade`")

given = context.config.attributes.get("connection")
if given is not None:
    run_on_connection(given)
else:
    asyncio.run(run_with_own_engine())
