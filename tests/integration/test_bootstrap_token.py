"""The embedded default's first start leaves exactly one way in: an admin token in the data dir."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from app.db import SessionFactory
from app.keyring import Keyring, generate_key
from app.models.columns import utcnow
from app.services.tokens import authenticate, list_tokens, revoke_token
from app.settings import Settings
from app.startup import bootstrap_admin_token


async def test_the_first_start_writes_an_owner_only_admin_token_and_later_starts_keep_it(
    tmp_path: Path, session_factory: SessionFactory, keyring: Keyring
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    await bootstrap_admin_token(settings, session_factory, keyring)
    path = settings.admin_token_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text().strip()
    async with session_factory.begin() as session:
        principal = await authenticate(session, keyring, token, now=utcnow())
    assert principal is not None and principal.role.value == "admin"

    await bootstrap_admin_token(settings, session_factory, keyring)
    assert path.read_text().strip() == token
    async with session_factory() as session:
        assert len(await list_tokens(session)) == 1


async def test_with_every_token_revoked_the_next_start_issues_a_new_admin_token(
    tmp_path: Path, session_factory: SessionFactory, keyring: Keyring
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    await bootstrap_admin_token(settings, session_factory, keyring)
    old = settings.admin_token_path.read_text().strip()
    async with session_factory.begin() as session:
        await revoke_token(session, name="admin", now=utcnow())
    await bootstrap_admin_token(settings, session_factory, keyring)
    new = settings.admin_token_path.read_text().strip()
    assert new != old
    async with session_factory.begin() as session:
        assert await authenticate(session, keyring, new, now=utcnow()) is not None


async def test_an_external_database_gets_no_token_file(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=SecretStr("postgresql+asyncpg://db/patrol"),
        secret_key=SecretStr(generate_key()),
    )
    await bootstrap_admin_token(settings, session_factory, Keyring(generate_key()))
    assert not settings.admin_token_path.exists()
    async with session_factory() as session:
        assert await list_tokens(session) == []
