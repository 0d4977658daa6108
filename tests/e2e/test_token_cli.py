"""`patrol token create | list | revoke`, run as a script would run them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_session_factory
from app.keyring import Keyring, generate_key
from app.models.columns import utcnow
from app.services.tokens import authenticate
from tests.e2e.test_cli_errors import patrol
from tests.fixtures.database import DatabaseTarget


async def test_a_created_token_is_the_only_output_and_works_until_revoked(
    tmp_path: Path, database_target: DatabaseTarget, engine: AsyncEngine
) -> None:
    key = generate_key()
    settings = {**database_target.environment(), "PATROL_SECRET_KEY": key}

    created = patrol(tmp_path, "token", "create", "--name", "ci", "--role", "editor", **settings)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n" and token.startswith("patrol_")
    async with create_session_factory(engine).begin() as session:
        principal = await authenticate(session, Keyring(key), token, now=utcnow())
    assert principal is not None and (principal.name, principal.role.value) == ("ci", "editor")

    listed = patrol(tmp_path, "token", "list", **settings)
    assert listed.returncode == 0 and token not in listed.stdout
    assert "ci\teditor\t" in listed.stdout and "\tlive" in listed.stdout

    duplicate = patrol(tmp_path, "token", "create", "--name", "ci", "--role", "viewer", **settings)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    revoked = patrol(tmp_path, "token", "revoke", "ci", **settings)
    assert revoked.returncode == 0 and revoked.stdout.strip() == "revoked ci"
    async with create_session_factory(engine).begin() as session:
        assert await authenticate(session, Keyring(key), token, now=utcnow()) is None
    again = patrol(tmp_path, "token", "revoke", "ci", **settings)
    assert again.returncode == 1 and "no live API token" in again.stderr


def test_an_unknown_role_is_refused_by_the_cli(tmp_path: Path) -> None:
    result = patrol(tmp_path, "token", "create", "--name", "x", "--role", "root")
    assert result.returncode == 2 and "root" in result.stderr and result.stdout == ""


def test_an_external_database_without_a_secret_key_is_refused_with_a_sentence(
    tmp_path: Path,
) -> None:
    result = patrol(
        tmp_path,
        "token",
        "list",
        PATROL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
    )
    assert result.returncode == 2
    assert "PATROL_SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr
