"""Settings shared through the database by every process that uses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import SharedSetting

PUBLIC_URL = "public_url"


@dataclass(frozen=True, slots=True)
class Recorded:
    value: str
    updated_at: datetime


async def record_setting(session: AsyncSession, key: str, value: str, *, now: datetime) -> None:
    """Set `key` (commits); the last writer wins."""
    updated = await session.exec(
        sa.update(SharedSetting)
        .where(col(SharedSetting.key) == key)
        .values(value=value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount == 0:
        session.add(SharedSetting(key=key, value=value, updated_at=now))
    try:
        await session.commit()
    except IntegrityError:
        # Another process inserted it first: overwrite.
        await session.rollback()
        await record_setting(session, key, value, now=now)


async def recorded_setting(session: AsyncSession, key: str) -> Recorded | None:
    setting = await session.get(SharedSetting, key)
    return None if setting is None else Recorded(setting.value, setting.updated_at)
