"""`patrol token create | list | revoke`: API tokens from the command line (for scripts, the first
admin of an external database, and recovery)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import typer

from app.db import SessionFactory, create_session_factory
from app.domain.access import Role
from app.errors import PatrolError
from app.keyring import Keyring
from app.models.columns import utcnow
from app.services import tokens
from app.settings import Settings
from app.startup import StartupError, check_database, load_keyring, open_engine, prepare_schema

token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
T = TypeVar("T")
SettingsFactory = Callable[[], Settings]


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[tuple[SessionFactory, Keyring]]:
    keyring = load_keyring(settings)
    engine = open_engine(settings)
    try:
        await check_database(engine)
        await prepare_schema(engine, upgrade=settings.uses_embedded_database, keyring=keyring)
        yield create_session_factory(engine), keyring
    finally:
        await engine.dispose()


def _run(settings: Settings, work: Callable[[SessionFactory, Keyring], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _database(settings) as (session_factory, keyring):
            return await work(session_factory, keyring)

    try:
        return asyncio.run(main())
    except StartupError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None


def register(settings_factory: SettingsFactory) -> typer.Typer:
    @token_cli.command("create")
    def create(
        name: Annotated[str, typer.Option(help="A name to tell the token by.")],
        role: Annotated[Role, typer.Option(help="viewer, editor or admin.")],
    ) -> None:
        """Create a token and print only the token, so scripts can capture it."""

        async def work(session_factory: SessionFactory, keyring: Keyring) -> str:
            async with session_factory.begin() as session:
                issued = await tokens.issue_token(
                    session, keyring, name=name, role=role, created_by="cli", now=utcnow()
                )
            return issued.secret

        typer.echo(_refusing_domain_errors(lambda: _run(settings_factory(), work)))

    @token_cli.command("list")
    def list_(
        all_: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    ) -> None:
        """List tokens (never the tokens themselves)."""

        async def work(session_factory: SessionFactory, keyring: Keyring) -> list[str]:
            async with session_factory() as session:
                found = await tokens.list_tokens(session, include_revoked=all_)
            return [
                "\t".join(
                    (
                        token.name,
                        token.role.value,
                        token.created_at.isoformat(timespec="seconds"),
                        token.last_used_at.isoformat(timespec="seconds")
                        if token.last_used_at
                        else "never used",
                        f"revoked {token.revoked_at.isoformat(timespec='seconds')}"
                        if token.revoked_at
                        else "live",
                    )
                )
                for token in found
            ]

        lines = _run(settings_factory(), work)
        typer.echo("NAME\tROLE\tCREATED\tLAST USED\tSTATE")
        for line in lines:
            typer.echo(line)

    @token_cli.command("revoke")
    def revoke(name: Annotated[str, typer.Argument(help="The live token's name.")]) -> None:
        """Revoke a token at once."""

        async def work(session_factory: SessionFactory, keyring: Keyring) -> None:
            async with session_factory.begin() as session:
                await tokens.revoke_token(session, name=name, now=utcnow())

        _refusing_domain_errors(lambda: _run(settings_factory(), work))
        typer.echo(f"revoked {name}")

    return token_cli


def _refusing_domain_errors(call: Callable[[], T]) -> T:
    try:
        return call()
    except PatrolError as error:
        typer.secho(f"error: {error.message}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from None
