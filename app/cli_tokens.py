"""`patrol token create | list | revoke`: API tokens from the command line (for scripts, the first
admin of an external database, and recovery)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from app.cli_support import SettingsFactory, run_with_database
from app.db import SessionFactory
from app.domain.access import Role
from app.errors import PatrolError
from app.keyring import Keyring
from app.models.columns import utcnow
from app.services import tokens

token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
T = TypeVar("T")


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

        typer.echo(_refusing_domain_errors(lambda: run_with_database(settings_factory(), work)))

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

        lines = run_with_database(settings_factory(), work)
        typer.echo("NAME\tROLE\tCREATED\tLAST USED\tSTATE")
        for line in lines:
            typer.echo(line)

    @token_cli.command("revoke")
    def revoke(name: Annotated[str, typer.Argument(help="The live token's name.")]) -> None:
        """Revoke a token at once."""

        async def work(session_factory: SessionFactory, keyring: Keyring) -> None:
            async with session_factory.begin() as session:
                await tokens.revoke_token(session, name=name, now=utcnow())

        _refusing_domain_errors(lambda: run_with_database(settings_factory(), work))
        typer.echo(f"revoked {name}")

    return token_cli


def _refusing_domain_errors(call: Callable[[], T]) -> T:
    try:
        return call()
    except PatrolError as error:
        typer.secho(f"error: {error.message}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from None
