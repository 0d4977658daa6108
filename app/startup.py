"""Bringing a process up: reach Redis and the database, or fail with a sentence instead of a trace."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.redis_server import EmbeddedRedis
from app.db import Engines, PoolSettings, SessionFactory, create_engine, create_engines
from app.domain.access import Role
from app.keyring import InvalidKey, Keyring, generate_key
from app.logging import get_logger
from app.migrations import current_revision, head_revision, upgrade_database
from app.models.columns import utcnow
from app.private_files import read_private_file, write_private_file
from app.services.shared_settings import PUBLIC_URL, record_setting, recorded_setting
from app.services.tokens import authenticate, issue_token, live_token_count
from app.settings import Settings

log = get_logger(__name__)


class StartupError(Exception):
    """A reason the process cannot start, worded for the person who started it."""


def describe_database(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable URL>"


def open_engine(settings: Settings) -> AsyncEngine:
    url = settings.resolved_database_url
    try:
        return create_engine(url, schema=settings.database_schema)
    except Exception as error:
        raise StartupError(f"invalid database URL {describe_database(url)}: {error}") from error


def pool_settings(settings: Settings) -> PoolSettings:
    return PoolSettings(
        api_pool_size=settings.database_api_pool_size,
        background_pool_size=settings.database_background_pool_size,
        wait_timeout=settings.database_timeout_seconds,
        api_query_timeout=settings.api_query_timeout_seconds,
    )


def open_engines(settings: Settings) -> Engines:
    """Monitoring's engine and the API's (see `app.db.create_engines`)."""
    url = settings.resolved_database_url
    try:
        return create_engines(url, schema=settings.database_schema, pools=pool_settings(settings))
    except Exception as error:
        raise StartupError(f"invalid database URL {describe_database(url)}: {error}") from error


async def check_database(engine: AsyncEngine, *, timeout: float = 10) -> None:
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                await connection.exec_driver_sql("SELECT 1")
    except Exception as error:
        where = describe_database(engine.url.render_as_string(hide_password=False))
        raise StartupError(f"cannot reach the database at {where}: {error}") from error


async def prepare_schema(
    engine: AsyncEngine, *, upgrade: bool, keyring: Keyring | None = None
) -> None:
    """Upgrade the schema, or insist that it is current (external databases are upgraded on purpose)."""
    if upgrade:
        await upgrade_database(engine, keyring=keyring)
        return
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise StartupError(
            f"the database schema is at revision {current or 'none'}, not {head}: "
            "run `patrol db upgrade` first"
        )


async def resolve_redis_url(settings: Settings, stack: AsyncExitStack) -> str:
    """The configured Redis, or an embedded one that lives as long as `stack`."""
    if settings.redis_url is not None:
        url = settings.redis_url.get_secret_value()
    else:
        server = EmbeddedRedis(settings.embedded_redis_path)
        try:
            await asyncio.to_thread(server.start)
        except Exception as error:
            raise StartupError(f"cannot start the embedded Redis: {error}") from error
        stack.callback(server.stop)
        url = server.url
    await check_redis(url)
    return url


async def check_redis(url: str, *, timeout: float = 5) -> None:
    client: Redis = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        async with asyncio.timeout(timeout):
            await client.ping()
    except Exception as error:
        shown = url.split("@")[-1]
        raise StartupError(f"cannot reach Redis at {shown}: {error}") from error
    finally:
        await client.aclose()


async def upgrade(settings: Settings, revision: str) -> None:
    engine = open_engine(settings)
    try:
        await check_database(engine)
        try:
            await upgrade_database(engine, revision, keyring=_keyring_if_configured(settings))
        except RuntimeError as error:  # a migration's own refusal, worded for the operator
            raise StartupError(f"cannot upgrade the database: {error}") from None
        log.info("database upgraded", database=describe_database(settings.resolved_database_url))
    finally:
        await engine.dispose()


def load_keyring(settings: Settings) -> Keyring:
    """PATROL_SECRET_KEY, else the key file in the data directory (made on the first start with
    the embedded database: every process sharing an external database must share one key)."""
    previous = []
    if settings.previous_secret_keys is not None:
        listed = settings.previous_secret_keys.get_secret_value().split(",")
        previous = [key.strip() for key in listed if key.strip()]
    if settings.secret_key is not None:
        current = settings.secret_key.get_secret_value()
    else:
        current = _key_from_file(settings)
    try:
        return Keyring(current, previous)
    except InvalidKey as error:
        raise StartupError(f"invalid secret key: {error}") from None


def _keyring_if_configured(settings: Settings) -> Keyring | None:
    """`db upgrade` needs the key only when stored data must be encrypted; the migration says so."""
    if settings.secret_key is None and not settings.secret_key_path.exists():
        return None
    return load_keyring(settings)


def _key_from_file(settings: Settings) -> str:
    path = settings.secret_key_path
    if not path.exists():
        if not settings.uses_embedded_database:
            raise StartupError(
                "PATROL_SECRET_KEY is not set: every Patrol process that shares an external "
                "database needs the same key; make one with `patrol keys generate`"
            )
        try:
            write_private_file(path, generate_key() + "\n")
            log.info("generated a secret key", path=str(path))
        except FileExistsError:
            pass  # another process made it first
    try:
        return read_private_file(path)
    except OSError as error:
        raise StartupError(f"cannot read the secret key at {path}: {error}") from None


BOOTSTRAP_TOKEN_NAME = "admin"


async def bootstrap_admin_token(
    settings: Settings, session_factory: SessionFactory, keyring: Keyring
) -> None:
    """On the embedded default, make sure someone can get in: with no live token at all, issue an
    admin token and leave it in the data directory, readable by its owner only."""
    path = settings.admin_token_path
    if not settings.uses_embedded_database:
        async with session_factory() as session:
            if await live_token_count(session) == 0:
                log.warning(
                    "no API token exists yet: create one with "
                    "`patrol token create --role admin --name NAME`"
                )
        return
    async with session_factory.begin() as session:
        if await live_token_count(session) > 0:
            issued = None
        else:
            issued = await issue_token(
                session,
                keyring,
                name=BOOTSTRAP_TOKEN_NAME,
                role=Role.ADMIN,
                created_by="patrol serve (first start)",
                now=utcnow(),
            )
    if issued is not None:
        write_private_file(path, issued.secret + "\n", replace=True)
        log.info("created an admin API token", path=str(path))
    elif not path.exists() or not await _still_live(path, session_factory, keyring):
        return
    log.info(
        "use the API with the admin token",
        example=f'curl -H "Authorization: Bearer $(cat {path})" ...',
    )


async def _still_live(path: Path, session_factory: SessionFactory, keyring: Keyring) -> bool:
    async with session_factory.begin() as session:
        return (
            await authenticate(session, keyring, read_private_file(path), now=utcnow()) is not None
        )


@dataclass(frozen=True, slots=True)
class PublicUrl:
    """The base URL checker pods report to, and where this process got it."""

    url: str
    source: str


async def establish_public_url(settings: Settings, session_factory: SessionFactory) -> PublicUrl:
    """For `patrol serve`: PATROL_PUBLIC_URL, else its own listen address; recorded in the
    database either way, for workers started without one."""
    if settings.public_url is not None:
        chosen = PublicUrl(settings.public_url, "PATROL_PUBLIC_URL")
    elif _is_wildcard(settings.host):
        raise StartupError(
            f"PATROL_PUBLIC_URL is not set and {settings.host} is no address checker pods can "
            "report to: set PATROL_PUBLIC_URL to the URL they reach this server at"
        )
    else:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        chosen = PublicUrl(f"http://{host}:{settings.port}", "the listen address")
    async with session_factory() as session:
        await record_setting(session, PUBLIC_URL, chosen.url, now=utcnow())
    log.info("checker pods report to this URL", public_url=chosen.url, source=chosen.source)
    return chosen


async def find_public_url(settings: Settings, session_factory: SessionFactory) -> PublicUrl:
    """For `patrol worker`: PATROL_PUBLIC_URL, else the URL `patrol serve` recorded; a worker
    that guessed would send every run's report nowhere."""
    if settings.public_url is not None:
        found = PublicUrl(settings.public_url, "PATROL_PUBLIC_URL")
    else:
        async with session_factory() as session:
            recorded = await recorded_setting(session, PUBLIC_URL)
        if recorded is None:
            raise StartupError(
                "PATROL_PUBLIC_URL is not set and no `patrol serve` has recorded its URL in the "
                "database: set PATROL_PUBLIC_URL to the URL checker pods reach Patrol's API at"
            )
        found = PublicUrl(
            recorded.value, f"recorded by patrol serve at {recorded.updated_at.isoformat()}"
        )
    log.info("checker pods report to this URL", public_url=found.url, source=found.source)
    return found


def _is_wildcard(host: str) -> bool:
    try:
        return ip_address(host).is_unspecified
    except ValueError:
        return host == ""
