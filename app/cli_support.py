"""What CLI commands that work on the database share: open it (upgrading the embedded one), load
the keyring, and turn startup failures into one sentence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import typer

from app.db import SessionFactory, create_session_factory
from app.keyring import Keyring
from app.settings import Settings
from app.startup import StartupError, check_database, load_keyring, open_engine, prepare_schema

T = TypeVar("T")
SettingsFactory = Callable[[], Settings]


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[tuple[SessionFactory, Keyring]]:
    keyring = load_keyring(settings)
    engine = open_engine(settings)
    try:
        await check_database(engine)
        await prepare_schema(engine, upgrade=settings.uses_embedded_database, keyring=keyring)
        yield create_session_factory(engine), keyring
    finally:
        await engine.dispose()


def run_with_database(
    settings: Settings, work: Callable[[SessionFactory, Keyring], Awaitable[T]]
) -> T:
    async def main() -> T:
        async with database(settings) as (session_factory, keyring):
            return await work(session_factory, keyring)

    try:
        return asyncio.run(main())
    except StartupError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
