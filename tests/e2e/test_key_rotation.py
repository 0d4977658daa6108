"""Rotating the secret key with the CLI: credentials move to the new key, nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from app.db import create_session_factory
from app.keyring import Keyring, UnreadableSecret, generate_key
from app.models import Channel, Cluster, ConnectionKind
from app.services.alerting.channels import channel_urls, create_channel
from tests.e2e.test_cli_errors import patrol
from tests.fixtures.database import DatabaseTarget

CHANNEL_URL = "json://127.0.0.1:9/hooks/rotate-me-too"


async def test_keys_rotate_reencrypts_every_credential_under_the_new_key(
    tmp_path: Path, database_target: DatabaseTarget, engine: AsyncEngine
) -> None:
    old, new = generate_key(), generate_key()
    session_factory = create_session_factory(engine)
    async with session_factory.begin() as session:
        session.add(
            Cluster(
                name="prod",
                connection_kind=ConnectionKind.TOKEN,
                api_url="https://10.0.0.1:6443",
                token_encrypted=Keyring(old).encrypt("rotate-me"),
            )
        )
    async with session_factory.begin() as session:
        await create_channel(session, Keyring(old), name="on-call", urls=[CHANNEL_URL])
    result = patrol(
        tmp_path,
        "keys",
        "rotate",
        **database_target.environment(),
        PATROL_SECRET_KEY=new,
        PATROL_PREVIOUS_SECRET_KEYS=old,
    )
    assert result.returncode == 0, result.stderr
    assert "1 cluster(s)" in result.stdout and "1 alert channel(s)" in result.stdout
    async with session_factory() as session:
        cluster = (await session.exec(select(Cluster))).one()
    assert cluster.token_encrypted is not None
    assert Keyring(new).decrypt(cluster.token_encrypted) == "rotate-me"
    with pytest.raises(UnreadableSecret):
        Keyring(old).decrypt(cluster.token_encrypted)
    async with session_factory() as session:
        channel = (await session.exec(select(Channel))).one()
    assert channel_urls(channel, Keyring(new)) == (CHANNEL_URL,)
    with pytest.raises(UnreadableSecret):
        Keyring(old).decrypt(channel.urls_encrypted)
