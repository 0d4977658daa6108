"""Keeping the run history bounded."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import Run
from app.models.columns import utcnow


async def prune_run_history(
    session: AsyncSession, *, retention: timedelta, now: datetime | None = None
) -> int:
    """Delete finished runs (with their logs and events) older than the retention window."""
    cutoff = (now or utcnow()) - retention
    result = await session.exec(
        sa.delete(Run).where(col(Run.finished_at).is_not(None), col(Run.finished_at) < cutoff)
    )
    await session.commit()
    return int(result.rowcount or 0)
