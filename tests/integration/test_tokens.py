"""API tokens in the database: only a digest is kept, and rotation migrates digests as used."""

from __future__ import annotations

from sqlmodel import select

from app.db import SessionFactory
from app.domain.access import Role
from app.keyring import Keyring, generate_key
from app.models import ApiToken
from app.models.columns import utcnow
from app.services.tokens import authenticate, issue_token


async def test_the_database_holds_a_digest_and_never_the_token(
    session_factory: SessionFactory,
) -> None:
    keyring = Keyring(generate_key())
    async with session_factory.begin() as session:
        issued = await issue_token(
            session, keyring, name="bot", role=Role.VIEWER, created_by="t", now=utcnow()
        )
    async with session_factory() as session:
        stored = (await session.exec(select(ApiToken))).one()
    assert issued.secret not in stored.model_dump_json()
    assert stored.digest == keyring.sign("api-token", issued.secret)


async def test_a_token_used_after_a_key_rotation_is_redigested_under_the_new_key(
    session_factory: SessionFactory,
) -> None:
    old_key, new_key = generate_key(), generate_key()
    async with session_factory.begin() as session:
        issued = await issue_token(
            session, Keyring(old_key), name="bot", role=Role.EDITOR, created_by="t", now=utcnow()
        )
    assert await _authenticates(session_factory, Keyring(new_key), issued.secret) is False
    rotating = Keyring(new_key, previous=[old_key])
    assert await _authenticates(session_factory, rotating, issued.secret) is True
    assert await _authenticates(session_factory, Keyring(new_key), issued.secret) is True


async def _authenticates(session_factory: SessionFactory, keyring: Keyring, token: str) -> bool:
    async with session_factory.begin() as session:
        return await authenticate(session, keyring, token, now=utcnow()) is not None
