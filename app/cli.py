"""`patrol`: serve, worker, db upgrade, export-schema, local-cluster, token, apply, export."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_manifests import register as register_manifest_commands
from app.cli_tokens import register as register_token_commands
from app.localcluster.cli import local_cluster
from app.logging import configure_logging, get_logger
from app.settings import Settings, get_settings
from app.startup import StartupError

cli = typer.Typer(help="Patrol: synthetic monitoring for Kubernetes fleets.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(help="The secret key (credentials at rest, tokens).", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
cli.add_typer(register_token_commands(lambda: _settings()), name="token")
log = get_logger("patrol.cli")

DEFAULT_SCHEMA_PATH = Path(__file__).resolve().parent.parent / "graphql" / "schema.graphql"


def _settings(**overrides: Any) -> Settings:
    settings = get_settings()
    if overrides := {key: value for key, value in overrides.items() if value is not None}:
        settings = settings.model_copy(update=overrides)
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coroutine)
    except StartupError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        pass


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address [PATROL_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [PATROL_PORT].")] = None,
    worker: Annotated[bool, typer.Option(help="Run a worker in this process too.")] = True,
) -> None:
    """Run the API (and, by default, a worker) on the configured or embedded database and Redis."""
    from app.serve import serve as serve_forever

    _run(serve_forever(_settings(host=host, port=port), with_worker=worker))


@cli.command()
def worker(
    health_port: Annotated[
        int | None,
        typer.Option(help="Serve /healthz, /readyz and /metrics here [PATROL_WORKER_HEALTH_PORT]."),
    ] = None,
) -> None:
    """Run a worker process on its own, for scale-out."""
    from app.serve import run_worker

    _run(run_worker(_settings(worker_health_port=health_port)))


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the database migrations."""
    from app.startup import upgrade

    _run(upgrade(_settings(), revision))


@keys_cli.command("generate")
def keys_generate() -> None:
    """Print a new secret key (for PATROL_SECRET_KEY)."""
    from app.keyring import generate_key

    typer.echo(generate_key())


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored credential with PATROL_SECRET_KEY (run with the old key listed in
    PATROL_PREVIOUS_SECRET_KEYS)."""
    from app.cli_support import run_with_database
    from app.db import SessionFactory
    from app.keyring import Keyring
    from app.services.key_rotation import Reencrypted, reencrypt_credentials

    async def work(session_factory: SessionFactory, keyring: Keyring) -> Reencrypted:
        async with session_factory.begin() as session:
            return await reencrypt_credentials(session, keyring)

    done = run_with_database(_settings(), work)
    typer.echo(
        f"re-encrypted the credentials of {done.clusters} cluster(s) and the URLs of "
        f"{done.channels} alert channel(s) with the current key"
    )


@cli.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = DEFAULT_SCHEMA_PATH,
) -> None:
    """Write the GraphQL schema (SDL) to graphql/schema.graphql."""
    from app.api.sdl import write_schema_sdl

    write_schema_sdl(output)
    typer.echo(f"wrote {output}")


cli.command("local-cluster")(local_cluster)
register_manifest_commands(cli, lambda: get_settings().data_dir)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
