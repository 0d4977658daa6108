"""API tokens: issue (shown once), list, revoke, and authenticate a presented token.

Each takes the caller's session and only flushes; the caller owns the transaction.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.access import Principal, Role, validate_token_name
from app.errors import Conflict, NotFound
from app.keyring import Keyring
from app.models import ApiToken

TOKEN_PREFIX = "patrol_"
DIGEST_PURPOSE = "api-token"
# Recording every use would put a write on every request; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the token itself: shown to its creator once, never stored


async def issue_token(
    session: AsyncSession,
    keyring: Keyring,
    *,
    name: str,
    role: Role,
    created_by: str,
    now: datetime,
) -> IssuedToken:
    validate_token_name(name)
    await _ensure_name_free(session, name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role,
        digest=keyring.sign(DIGEST_PURPOSE, secret),
        created_by=created_by,
        created_at=now,
    )
    session.add(token)
    try:
        await session.flush()
    except IntegrityError:
        raise _name_taken(name) from None
    return IssuedToken(token, secret)


async def list_tokens(session: AsyncSession, *, include_revoked: bool = False) -> list[ApiToken]:
    query = select(ApiToken).order_by(col(ApiToken.name), col(ApiToken.created_at))
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return list((await session.exec(query)).all())


async def live_token_count(session: AsyncSession) -> int:
    result = await session.exec(
        select(sa.func.count()).select_from(ApiToken).where(col(ApiToken.revoked_at).is_(None))
    )
    return int(result.one())


async def revoke_token(
    session: AsyncSession,
    *,
    token_id: uuid.UUID | None = None,
    name: str | None = None,
    now: datetime,
) -> ApiToken:
    """Revoke a live token by id or by name; revoking twice is NOT_FOUND the second time."""
    query = select(ApiToken).where(col(ApiToken.revoked_at).is_(None))
    if token_id is not None:
        query = query.where(col(ApiToken.id) == token_id)
    else:
        query = query.where(col(ApiToken.name) == name)
    token = (await session.exec(query)).first()
    if token is None:
        what = f"id {token_id}" if token_id is not None else f"name {name!r}"
        raise NotFound(f"no live API token with {what}", field="id" if token_id else "name")
    token.revoked_at = now
    session.add(token)
    await session.flush()
    return token


async def authenticate(
    session: AsyncSession, keyring: Keyring, presented: str, *, now: datetime
) -> Principal | None:
    """The principal a live token acts as, or None. A token last verified under a previous key is
    re-digested under the current one, so that key can eventually be retired."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    digests = keyring.signatures(DIGEST_PURPOSE, presented)
    token = (
        await session.exec(
            select(ApiToken).where(
                col(ApiToken.digest).in_(digests), col(ApiToken.revoked_at).is_(None)
            )
        )
    ).first()
    if token is None:
        return None
    changes: dict[str, object] = {}
    if token.digest != digests[0]:
        changes["digest"] = digests[0]
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        changes["last_used_at"] = now
    if changes:
        await session.exec(
            sa.update(ApiToken)
            .where(col(ApiToken.id) == token.id)
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
    return Principal(token.name, token.role, token.id)


async def _ensure_name_free(session: AsyncSession, name: str) -> None:
    taken = await session.exec(
        select(ApiToken.id).where(col(ApiToken.name) == name, col(ApiToken.revoked_at).is_(None))
    )
    if taken.first() is not None:
        raise _name_taken(name)


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a live API token named {name!r} already exists", field="name")
